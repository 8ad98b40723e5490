"""Rewrite a streamed chat completion chunk by chunk: reasoning deltas dropped or cut short.

    rewriter = StreamRewriter(decision, summary_chars=policy.summary_chars)
    if rewriter.active:
        async for data in upstream_chunks:
            yield rewriter.feed(data)        # SSE bytes in, SSE bytes out
        yield rewriter.flush()

`rewrite(obj)` does the same for one decoded `data:` object. With reasoning exposure
`summary` the first `summary_chars` characters of each choice's reasoning pass, then one
marker, then nothing; with `none` no reasoning passes. A chunk without the word
"reasoning" in it is passed on as the same bytes, unparsed. In shadow mode nothing is
changed and `changes` still tells what would have been withheld.
"""

from __future__ import annotations

from typing import Any

import orjson

from distillguard.policy.apply import PREVIEWED, REASONING_FIELDS, WITHHELD, Change, ChangeKind
from distillguard.policy.decision import Decision

_MARK = b"reasoning"


class StreamRewriter:
    def __init__(self, decision: Decision, summary_chars: int = 200) -> None:
        self.exposure = decision.effect.reasoning
        self.shadow = decision.shadow
        self.summary_chars = summary_chars if self.exposure == "summary" else 0
        self.active = self.exposure != "full"
        self._shown: dict[int, int] = {}  # reasoning characters passed on, per choice
        self._withheld: dict[int, int] = {}  # characters (or parts) withheld, per choice
        self._marked: set[int] = set()
        self._tail = b""

    @property
    def changes(self) -> tuple[Change, ...]:
        kind = (
            ChangeKind.SUMMARIZE_REASONING
            if self.exposure == "summary"
            else ChangeKind.WITHHOLD_REASONING
        )
        return tuple(
            Change(kind, f"choices[{i}].delta.reasoning_content", n)
            for i, n in sorted(self._withheld.items())
        )

    # -- bytes
    def feed(self, data: bytes) -> bytes:
        """Rewrite the complete SSE lines of `data`; an incomplete last line waits for more."""
        if not self.active:
            return data
        if not self._tail and data.endswith(b"\n") and _MARK not in data:
            return data  # whole lines, none with reasoning: the same bytes
        data = self._tail + data
        cut = data.rfind(b"\n") + 1
        self._tail = data[cut:]
        return b"".join(self._line(line) for line in data[:cut].splitlines(keepends=True))

    def flush(self) -> bytes:
        """What is left of a stream that did not end with a newline."""
        tail, self._tail = self._tail, b""
        return self._line(tail) if tail else b""

    def _line(self, line: bytes) -> bytes:
        if not line.startswith(b"data:") or _MARK not in line:
            return line
        try:
            obj = orjson.loads(line[5:])
        except orjson.JSONDecodeError:
            return line
        if not isinstance(obj, dict):
            return line
        new = self.rewrite(obj)
        if new is obj:
            return line
        if new is None:
            return b""
        return b"data: " + orjson.dumps(new) + b"\n"

    # -- objects
    def rewrite(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """The chunk to send in place of `chunk` (the same object if unchanged), or None."""
        choices = chunk.get("choices")
        if not self.active or not isinstance(choices, list):
            return chunk
        changed = False
        out = []
        for c in choices:
            delta = c.get("delta") if isinstance(c, dict) else None
            if not isinstance(delta, dict) or not any(f in delta for f in REASONING_FIELDS):
                out.append(c)
                continue
            index = c.get("index", 0) if isinstance(c.get("index", 0), int) else 0
            out.append({**c, "delta": self._delta(index, delta)})
            changed = True
        if not changed or self.shadow:
            return chunk
        if all(_empty(c) for c in out) and chunk.get("usage") is None:
            return None
        return {**chunk, "choices": out}

    def _delta(self, index: int, delta: dict[str, Any]) -> dict[str, Any]:
        new = dict(delta)
        for f in REASONING_FIELDS:
            if f not in new:
                continue
            value = new.pop(f)
            if f not in PREVIEWED or not isinstance(value, str):
                self._withheld[index] = self._withheld.get(index, 0) + 1
                continue
            shown = self._shown.get(index, 0)
            keep = value[: max(0, self.summary_chars - shown)]
            self._shown[index] = shown + len(keep)
            if len(keep) < len(value):
                self._withheld[index] = self._withheld.get(index, 0) + len(value) - len(keep)
                if self.exposure == "summary" and index not in self._marked:
                    self._marked.add(index)  # the marker once, after the preview
                    keep += (" ... " if shown + len(keep) else "") + WITHHELD
            if keep:
                new[f] = keep
        return new


def _empty(choice: Any) -> bool:
    if not isinstance(choice, dict) or choice.get("finish_reason") is not None:
        return False
    delta = choice.get("delta")
    return isinstance(delta, dict) and not any(v not in (None, "") for v in delta.values())
