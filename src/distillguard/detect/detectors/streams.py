"""Hidden streams: a harvest carried inside an account's mixed traffic (the reseller shape).

A reseller or proxy account carries many end users, each product with its own system
prompt, and may slip an extraction stream in among them. Splitting the account's
traffic by system prompt (no system prompt is a stream too) and asking of each heavy
stream what the harvest detector asks of a whole account finds that stream, even when
it is a fifth of the traffic and the account as a whole looks like its customers.
Streams that carry most of the account are left to the account-level detectors.
"""

from __future__ import annotations

import math
from typing import Any

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.sketches import HyperLogLog, SpaceSaving

_CAPACITY = 12
_MAX_SHARE = 0.8  # a stream above this share is the account itself


class _Stream:
    __slots__ = ("log_ratio", "n", "single_new", "templates")

    def __init__(self) -> None:
        self.n = 0
        self.single_new = 0
        self.log_ratio = 0.0
        self.templates = HyperLogLog(p=5)

    def score(self) -> float:
        if self.single_new < 100:
            return 0.0
        ratio = math.exp(self.log_ratio / self.single_new)
        shape = ramp(ratio, 1.5, 4.0) * ramp(self.single_new / self.n, 0.7, 0.95)
        broad = ramp(self.templates.count() / self.single_new, 0.1, 0.3)
        return 0.9 * shape * broad * ramp(self.single_new, 200, 1000)

    def to_state(self) -> list[Any]:
        return [self.n, self.single_new, self.log_ratio, self.templates.to_state()]

    @classmethod
    def from_state(cls, state: list[Any]) -> _Stream:
        s = cls()
        s.n, s.single_new, s.log_ratio = state[0], state[1], state[2]
        s.templates = HyperLogLog.from_state(state[3])
        return s

    def merge(self, other: _Stream) -> None:
        self.n += other.n
        self.single_new += other.single_new
        self.log_ratio += other.log_ratio
        self.templates.merge(other.templates)


class StreamsDetector:
    __slots__ = ("heavy", "n", "stats")
    name = "streams"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.heavy = SpaceSaving(_CAPACITY)
        self.stats: dict[int, _Stream] = {}

    def update(self, obs: Observation) -> None:
        f = obs.f
        self.n += 1
        self.heavy.add(f.system)
        stream = self.stats.get(f.system)
        if stream is None:
            if f.system not in self.heavy.counts:
                return
            stream = self.stats[f.system] = _Stream()
            if len(self.stats) > 2 * _CAPACITY:
                self.stats = {k: s for k, s in self.stats.items() if k in self.heavy.counts}
        stream.n += 1
        if f.turns == 1 and obs.novel and f.served:
            stream.single_new += 1
            out = f.completion_tokens + f.reasoning_tokens
            stream.log_ratio += math.log((out + 1) / (f.prompt_tokens + 1))
            stream.templates.add(f.template)

    def _hidden(self) -> tuple[float, _Stream | None]:
        best, found = 0.0, None
        for stream in self.stats.values():
            if stream.n <= _MAX_SHARE * self.n:
                s = stream.score()
                if s > best:
                    best, found = s, stream
        return best, found

    def score(self) -> float:
        return self._hidden()[0]

    def explain(self) -> Signal:
        s, stream = self._hidden()
        if stream is None:
            return Signal(self.name, 0.0, f"no hidden harvest among {len(self.stats)} streams")
        ratio = math.exp(stream.log_ratio / stream.single_new)
        reason = (
            f"one stream of {stream.n:,} requests ({pct(stream.n, self.n)} of the account, by "
            f"system prompt) is single-shot new prompts over ~{stream.templates.count():,.0f} "
            f"templates with answers {ratio:.1f}x their prompt: a harvest inside mixed traffic"
        )
        return Signal(self.name, s, reason)

    def merge(self, other: StreamsDetector) -> None:
        self.n += other.n
        self.heavy.merge(other.heavy)
        for key, stream in other.stats.items():
            mine = self.stats.setdefault(key, _Stream())
            mine.merge(stream)

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "heavy": self.heavy.to_state(),
            "stats": [[k, s.to_state()] for k, s in self.stats.items()],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.n = state["n"]
        self.heavy = SpaceSaving.from_state(state["heavy"])
        self.stats = {int(k): _Stream.from_state(s) for k, s in state["stats"]}
