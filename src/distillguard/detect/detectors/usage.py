"""Usage shape: what an account's traffic is for, counted in plain numbers.

Extraction shows in how answers are used, not in how prompts are phrased: a harvest
walks a prompt source without repeats, fires single-shot prompts nobody follows up,
takes answers at the length cap, covers many capabilities and keeps an operator's
hours. Products re-send, follow up, loop tools and stay narrow; an evaluation re-runs
the same prompts across models and temperatures. This detector only counts; whether a
count is unusual is decided against the population (`distillguard.detect.population`),
so it scores nothing itself.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from distillguard.detect.base import Observation, Signal, pct
from distillguard.detect.sketches import RotatingBloom, SpaceSaving
from distillguard.detect.text import AREA_NAMES

_DAY_S = 86400.0
_COUNTS = (
    "n",
    "served",
    "new",
    "reruns",
    "canned",
    "shared",
    "single",
    "followup",
    "toolloop",
    "tools",
    "capped",
    "days",
    "failed",
)


class UsageDetector:
    __slots__ = (
        "_breadth",
        "_flat",
        "areas",
        "canned",
        "capped",
        "configs",
        "contents",
        "days",
        "failed",
        "first_ts",
        "followup",
        "hours",
        "last_day",
        "last_ts",
        "log_out",
        "log_ratio",
        "n",
        "new",
        "reruns",
        "served",
        "setups",
        "shared",
        "single",
        "toolloop",
        "tools",
        "was_new",
    )
    name = "usage"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = self.served = self.new = self.reruns = self.single = self.shared = 0
        self.canned = 0  # continuations whose user turn repeats a canned line
        self.was_new = False  # the last request's prompt was new to the account
        self.followup = self.toolloop = self.tools = self.capped = self.days = 0
        self.failed = 0  # refused or failed (not 2xx): nothing was answered
        self.log_out = 0.0
        self.log_ratio = 0.0
        self.first_ts = -1.0
        self.last_ts = -1.0
        self.last_day = -1
        self.hours = [0] * 24
        self.areas = dict.fromkeys(AREA_NAMES, 0)
        self.contents = RotatingBloom(14, 1500)
        self.configs = RotatingBloom(14, 1500)
        self.setups = SpaceSaving(4)  # sampling set-ups with max_tokens: a client's habits
        self._stale()

    def _stale(self) -> None:
        # The two entropies, kept until the areas or hours change: one scoring reads them
        # once or twice, a re-linking three times (population, behaviour links, re-score).
        self._breadth: float | None = None
        self._flat: float | None = None

    def update(self, obs: Observation) -> None:
        f = obs.f
        self.n += 1
        self.tools += f.agentic
        if not f.served:
            # Refused (a 429) or failed: nothing was answered, so it is no prompt asked.
            # Its prompt stays unseen, and the client's retry is the prompt's first
            # asking, not a re-send: a rate-limited harvest still walks without repeats.
            self.failed += 1
            self.was_new = False
            self._clock(f.ts)
            return
        seen = self.contents.seen_then_add(f.content)
        same_setup = self.configs.seen_then_add(f.content ^ f.config)
        self.setups.add(f.config ^ (f.max_tokens or 0))
        self.was_new = not seen
        if not seen:
            self.new += 1
            self.areas[f.area] = self.areas.get(f.area, 0) + 1
            self._breadth = None
        elif not same_setup:
            self.reruns += 1  # the same task under another model or temperature
        if f.machine:
            # A tool result sent back: the loop of a task already asked, not a person's
            # turn. Shares of what people ask (`new_share`, `single_share`) leave it out,
            # so an agent's loops neither hide a harvest nor count against a product.
            self.toolloop += 1
        elif f.followups and seen:
            # "Go on, in more detail" again: a scripted continuation of a harvest, not a
            # person following up, so it counts as single-shot and not against novelty.
            self.canned += 1
            self.single += 1
        elif f.followups:
            self.followup += 1
        elif f.turns == 1:
            self.single += 1
        if not f.calls_tools:
            # Answers only: a tool call is a short step of the agent's loop, and the
            # answer a harvest keeps comes after its last tool result.
            self.served += 1
            self.capped += f.capped
            # `completion_tokens` counts the reasoning too (`reasoning_tokens` is its part,
            # as OpenAI's usage and the spec give it): added again, it counted twice.
            out = f.completion_tokens
            self.log_out += math.log1p(out)
            self.log_ratio += math.log((out + 1) / (f.prompt_tokens + 1))
        self._clock(f.ts)

    def _clock(self, ts: float) -> None:
        self.hours[int(ts // 3600) % 24] += 1
        self._flat = None
        day = int(ts // _DAY_S)
        if day != self.last_day:
            self.days += 1
            self.last_day = day
        if self.first_ts < 0:
            self.first_ts = ts
        self.last_ts = max(self.last_ts, ts)

    # -- derived numbers, each a plain share or mean the population ranks
    def share(self, count: int) -> float:
        return count / self.n if self.n else 0.0

    def asked(self) -> int:
        """Turns someone asked: scripted continuations and tool results left out (neither
        carries a prompt of its own)."""
        return self.n - self.failed - self.canned - self.toolloop

    def new_share(self) -> float:
        """Share of new prompts among the turns someone asked."""
        asked = self.asked()
        return min(1.0, self.new / asked) if asked > 0 else 0.0

    def single_share(self) -> float:
        """Share of single-shot prompts among the turns someone asked (tool results left
        out): a task an agent loops on is still one prompt nobody followed up."""
        asked = self.n - self.failed - self.toolloop
        return self.single / asked if asked > 0 else 0.0

    def mean_out(self) -> float:
        """Mean answer length in tokens (geometric)."""
        return math.expm1(self.log_out / self.served) if self.served else 0.0

    def mean_ratio(self) -> float:
        """Geometric mean of answer tokens per prompt token."""
        return math.exp(self.log_ratio / self.served) if self.served else 0.0

    def breadth(self) -> float:
        """Normalised entropy of capability areas over new prompts (0 narrow, 1 broad)."""
        if self._breadth is None:
            self._breadth = _normalised_entropy(self.areas.values(), len(self.areas))
        return self._breadth

    def flat_hours(self) -> float:
        """Normalised entropy of arrivals over the 24 hours (1 = round the clock)."""
        if self._flat is None:
            self._flat = _normalised_entropy(self.hours, 24)
        return self._flat

    def setup(self) -> int | None:
        """The set-up behind most of the account's requests, if one is (60%)."""
        top = self.setups.top(1)
        return top[0][0] if top and top[0][1] >= 0.6 * self.n else None

    def per_day(self) -> float:
        return self.n / self.days if self.days else 0.0

    def score(self) -> float:
        return 0.0

    def explain(self) -> Signal:
        reason = (
            f"{self.n:,} requests: {pct(self.new, self.n)} new prompts, {pct(self.reruns, self.n)}"
            f" re-runs under another set-up, {pct(self.single, self.n)} single-shot, "
            f"{pct(self.followup, self.n)} follow-ups, {pct(self.toolloop, self.n)} tool loops; "
            f"answers ~{self.mean_out():.0f} tokens, {pct(self.capped, self.served)} at the cap"
        )
        return Signal(self.name, 0.0, reason)

    def merge(self, other: UsageDetector) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.log_out += other.log_out
        self.log_ratio += other.log_ratio
        self.hours = [a + b for a, b in zip(self.hours, other.hours, strict=True)]
        for area, c in other.areas.items():
            self.areas[area] = self.areas.get(area, 0) + c
        firsts = [t for t in (self.first_ts, other.first_ts) if t >= 0]
        self.first_ts = min(firsts) if firsts else -1.0
        self.last_ts = max(self.last_ts, other.last_ts)
        self.setups.merge(other.setups)
        self._stale()
        # The Bloom filters stay this account's own: merged counts already hold the rest.

    def copy(self) -> UsageDetector:
        """What `copy.deepcopy` gives, several times faster: a campaign's merge starts here."""
        u = UsageDetector.__new__(UsageDetector)
        for name in UsageDetector.__slots__:
            setattr(u, name, getattr(self, name))
        u.hours, u.areas = list(self.hours), dict(self.areas)
        u.contents, u.configs = self.contents.copy(), self.configs.copy()
        u.setups = self.setups.copy()
        return u

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        state.update(
            log_out=self.log_out,
            log_ratio=self.log_ratio,
            first_ts=self.first_ts,
            last_ts=self.last_ts,
            last_day=self.last_day,
            hours=list(self.hours),
            areas=dict(self.areas),
            contents=self.contents.to_state(),
            configs=self.configs.to_state(),
            setups=self.setups.to_state(),
        )
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        for name in _COUNTS:
            # A count added since the state was saved starts at 0.
            setattr(self, name, int(state.get(name, 0)))
        self.log_out, self.log_ratio = float(state["log_out"]), float(state["log_ratio"])
        self.first_ts, self.last_ts = float(state["first_ts"]), float(state["last_ts"])
        self.last_day = int(state["last_day"])
        self.hours = [int(h) for h in state["hours"]]
        self.areas = {str(k): int(v) for k, v in state["areas"].items()}
        self.contents = RotatingBloom.from_state(state["contents"])
        self.configs = RotatingBloom.from_state(state["configs"])
        self.setups = SpaceSaving.from_state(state["setups"])
        self._stale()


def _normalised_entropy(counts: Collection[int], bins: int) -> float:
    """Entropy of a histogram over `bins` bins, in [0, 1]; 0 for fewer than two items."""
    total = sum(counts)
    if total < 2:
        return 0.0
    h = -sum([c / total * math.log(c / total) for c in counts if c])
    return h / math.log(bins)
