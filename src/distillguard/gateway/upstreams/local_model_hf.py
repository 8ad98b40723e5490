"""The torch half of the local model: load a GGUF with transformers, generate a batch of rows.

Imported only by the engine's worker thread (and benchmarks), since it imports torch. Sampling
is done here, per row, by `RowSampler` (temperature, top-p), which leaves only the drawn token
for transformers' greedy search to pick; so every row of a batch keeps its own settings and
transformers adds no sampling processors of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)
from transformers import modeling_gguf_pytorch_utils as gguf_utils
from transformers.generation.streamers import BaseStreamer
from transformers.utils import logging as hf_logging

from distillguard.forensics.watermark import WatermarkScheme
from distillguard.forensics.watermark_processor import WatermarkLogitsProcessor
from distillguard.gateway.upstreams.local_model_engine import Row


def _quiet() -> None:
    logs: Any = hf_logging
    logs.disable_progress_bar()
    logs.set_verbosity_error()
    # The GGUF converter draws its own tqdm bar, deaf to the switch above; it would break the
    # gateway's JSON log lines on stderr.
    bar = getattr(gguf_utils, "tqdm", None)
    if bar is not None and not isinstance(bar, functools.partial):
        setattr(gguf_utils, "tqdm", functools.partial(bar, disable=True))  # noqa: B010


def load_tokenizer(path: Path) -> Any:
    """The tokenizer stored in a GGUF file, padding on the left (for batches)."""
    _quiet()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load(path: Path, threads: int = 0) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, de-quantized to float32 for the CPU."""
    _quiet()
    if threads:
        torch.set_num_threads(threads)
    tokenizer = load_tokenizer(path)
    model: Any = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    )
    model.eval()
    return model, tokenizer


def eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    ids = {tokenizer.eos_token_id}
    configured = model.generation_config.eos_token_id
    ids.update(configured if isinstance(configured, list) else [configured])
    return frozenset(i for i in ids if i is not None)


def prompt_ids(tokenizer: Any, row: Row) -> list[int]:
    if row.messages is not None:
        text = tokenizer.apply_chat_template(
            row.messages, add_generation_prompt=True, tokenize=False
        )
    else:
        text = row.prompt or ""
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids or [tokenizer.eos_token_id]


class RowSampler(LogitsProcessor):  # type: ignore[misc, unused-ignore]
    """Draws each row's next token (temperature, top-p; temperature 0 is greedy)."""

    def __init__(self, rows: list[Row]) -> None:
        self.temperature = torch.tensor([max(r.temperature, 1e-6) for r in rows])[:, None]
        self.greedy = torch.tensor([r.temperature <= 0 for r in rows])
        self.top_p = torch.tensor([r.top_p for r in rows])[:, None]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        probs = torch.softmax(scores / self.temperature, dim=-1)
        if bool((self.top_p < 1).any()):
            sorted_p, order = probs.sort(dim=-1, descending=True)
            outside = sorted_p.cumsum(dim=-1) - sorted_p >= self.top_p  # keeps at least one
            sorted_p[outside] = 0.0
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
        drawn = torch.multinomial(probs, 1).squeeze(-1)
        chosen = torch.where(self.greedy, scores.argmax(dim=-1), drawn)
        out = torch.full_like(scores, float("-inf"))
        out.scatter_(-1, chosen[:, None], 0.0)
        return cast(torch.FloatTensor, out)


class RowsDone(StoppingCriteria):  # type: ignore[misc, unused-ignore]
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kw: Any) -> Any:
        return torch.tensor([r.done or r.cancelled for r in self.rows])


class RowStreamer(BaseStreamer):  # type: ignore[misc, unused-ignore]
    """Hands each step's tokens to their rows (transformers calls `put` once per step)."""

    def __init__(self, rows: list[Row], eos: frozenset[int], tokenizer: Any) -> None:
        self.rows = rows
        self.eos = eos
        self.tokenizer = tokenizer
        self._prompt_seen = False

    def _decode(self, ids: list[int]) -> str:
        text: str = self.tokenizer.decode(ids, skip_special_tokens=True)
        return text

    def put(self, value: torch.Tensor) -> None:
        if not self._prompt_seen:  # the first call carries the prompts
            self._prompt_seen = True
            return
        for row, token in zip(self.rows, value.reshape(-1).tolist(), strict=True):
            row.advance(int(token), self.eos, self._decode)

    def end(self) -> None:
        for row in self.rows:
            row.end_batch()


def generate(model: Any, tokenizer: Any, rows: list[Row], scheme: WatermarkScheme | None) -> None:
    """Generate every row of `rows` in one batch, feeding their sinks as tokens come."""
    prompts = [prompt_ids(tokenizer, r) for r in rows]
    for row, ids in zip(rows, prompts, strict=True):
        row.prompt_tokens = len(ids)
    width = max(len(p) for p in prompts)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    processors: list[LogitsProcessor] = []
    if scheme is not None and any(r.key is not None for r in rows):
        processors.append(WatermarkLogitsProcessor(scheme, [r.key for r in rows]))
    processors.append(RowSampler(rows))
    eos = eos_ids(model, tokenizer)
    with torch.inference_mode():
        model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            max_new_tokens=max(r.max_tokens for r in rows),
            do_sample=False,
            logits_processor=LogitsProcessorList(processors),
            stopping_criteria=StoppingCriteriaList([RowsDone(rows)]),
            streamer=RowStreamer(rows, eos, tokenizer),
            pad_token_id=pad,
        )


def argmax_next(
    model: Any, pad: int, threads: int = 0
) -> Callable[[list[list[int]]], list[list[int]]]:
    """`forensics.reading.Predict` for a causal model: the most likely next token after every
    position of each row (rows padded on the right, so positions keep their meaning)."""
    if threads:
        torch.set_num_threads(threads)

    def predict(rows: list[list[int]]) -> list[list[int]]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        with torch.inference_mode():
            guess = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
        return [cast(list[int], guess[i, : len(r)].tolist()) for i, r in enumerate(rows)]

    return predict
