"""The watermark at generation: a Hugging Face `LogitsProcessor` over `watermark.green_mask`.

Needs torch and transformers (the `local-model` extra); the rest of the watermark does not.
Each row of a batch carries its own key (its account's) or none (left as the model gives it),
so one batch serves several accounts::

    processor = WatermarkLogitsProcessor(scheme, [key_a, None, key_b])
    model.generate(..., logits_processor=LogitsProcessorList([processor]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import torch
from transformers import LogitsProcessor

from distillguard.forensics.watermark import U64, WatermarkScheme, green_mask_for, token_hashes

_vocab_cache: dict[int, U64] = {}


def _vocab_hashes(size: int) -> U64:
    if size not in _vocab_cache:
        _vocab_cache[size] = token_hashes(np.arange(size))
    return _vocab_cache[size]


class WatermarkLogitsProcessor(LogitsProcessor):  # type: ignore[misc, unused-ignore]
    """Adds `scheme.delta` to the logits of each row's green tokens under that row's key."""

    def __init__(self, scheme: WatermarkScheme, keys: Sequence[int | None]) -> None:
        self.scheme = scheme
        self._rows = np.array([k is not None for k in keys], dtype=np.bool_)
        self._keys = np.array([k for k in keys if k is not None], dtype=np.uint64)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != self._rows.size:
            raise ValueError(f"{self._rows.size} keys for a batch of {input_ids.shape[0]} rows")
        if not self._keys.size or self.scheme.delta == 0:
            return scores
        width = self.scheme.context
        ids = input_ids[:, -width:].cpu().numpy()
        if ids.shape[1] < width:  # a prompt shorter than the context: those pairs are unscored
            ids = np.pad(ids, ((0, 0), (width - ids.shape[1], 0)))
        mask = green_mask_for(
            self._keys, ids[self._rows], _vocab_hashes(scores.shape[-1]), self.scheme
        )
        bonus = torch.zeros(scores.shape, dtype=scores.dtype, device=scores.device)
        rows = torch.from_numpy(np.flatnonzero(self._rows)).to(scores.device)
        bonus[rows] = torch.from_numpy(mask).to(scores.device, scores.dtype) * self.scheme.delta
        return cast(torch.FloatTensor, scores + bonus)
