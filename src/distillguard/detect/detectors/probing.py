"""Logit and logprob probing: logit_bias sweeps with tiny completions (Carlini et al. 2024)."""

from __future__ import annotations

import heapq
from typing import Any

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.sketches import HyperLogLog, hash64

_IDS = 64  # biased ids read per request: a sweep's window shows in any 64 of them


class ProbeDetector:
    """Counts requests that bias many token ids or read top logprobs of 1-2 token answers.

    Evaluation harnesses also read logprobs of one-token answers (multiple choice),
    so the evidence is the sweep alone: ever-new biased token ids. A classifier biases
    one fixed set of label tokens (77 intents are 77 ids) on every request, so only the
    distinct ids beyond the largest set a single request biased count: a sweep moves
    its window each request, a label set never grows.
    """

    __slots__ = ("biased", "ids", "n", "tiny_logprob", "widest")
    name = "probe"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.biased = 0
        self.tiny_logprob = 0
        self.widest = 0  # the most ids one request biased (up to _IDS)
        self.ids = HyperLogLog(p=8)

    def update(self, obs: Observation) -> None:
        f = obs.f
        self.n += 1
        if f.bias_ids:
            self.biased += 1
            # The same ids of a set whatever their order in the request: those of the
            # smallest hashes (a classifier may send its labels in any order).
            hashes = [hash64(token) for token in f.bias_ids]
            if len(hashes) > _IDS:
                hashes = heapq.nsmallest(_IDS, hashes)
            self.widest = max(self.widest, len(hashes))
            for h in hashes:
                self.ids.add(h)
        if f.top_logprobs and f.max_tokens is not None and f.max_tokens <= 2:
            self.tiny_logprob += 1

    def score(self) -> float:
        # Reading logprobs of one-token answers alone is what evaluation harnesses do
        # (multiple choice); it is reported in the reason but scores nothing.
        return ramp(self.swept(), 16, 128) * ramp(self.biased, 5, 40)

    def swept(self) -> float:
        """Distinct biased ids beyond one request's set, with room for the sketch's error
        (HyperLogLog at p=8 is within ~15% at two standard errors)."""
        distinct = self.ids.count() if self.biased else 0.0
        return max(0.0, distinct - 1.15 * self.widest)

    def explain(self) -> Signal:
        distinct = self.ids.count() if self.biased else 0.0
        reason = (
            f"{self.biased:,} requests set logit_bias over ~{distinct:,.0f} distinct token ids "
            f"(at most {self.widest:,} in one request); "
            f"{pct(self.tiny_logprob, self.n)} read top logprobs of a 1-2 token answer"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: ProbeDetector) -> None:
        self.n += other.n
        self.biased += other.biased
        self.tiny_logprob += other.tiny_logprob
        self.widest = max(self.widest, other.widest)
        self.ids.merge(other.ids)

    def copy(self) -> ProbeDetector:
        """What `copy.deepcopy` gives, without its bookkeeping (a campaign's merge)."""
        d = ProbeDetector.__new__(ProbeDetector)
        d.n, d.biased, d.tiny_logprob = self.n, self.biased, self.tiny_logprob
        d.widest = self.widest
        d.ids = self.ids.copy()
        return d

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "biased": self.biased,
            "tiny_logprob": self.tiny_logprob,
            "widest": self.widest,
            "ids": self.ids.to_state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.n, self.biased = state["n"], state["biased"]
        self.tiny_logprob = state["tiny_logprob"]
        # States saved before `widest` existed score as they did then.
        self.widest = int(state.get("widest", 0))
        self.ids = HyperLogLog.from_state(state["ids"])
