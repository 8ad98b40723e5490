"""One account's bounded state: the context every detector needs, and the detectors.

The context turns `RequestFeatures` into an `Observation`: was this exact prompt sent
recently (a rotating Bloom filter), how far is it from the account's recent prompts
(a ring of SimHashes), how long since the previous request. Linkage fingerprints
(system prompts, address ranges, user agents) feed campaign linking.
"""

from __future__ import annotations

import copy
import functools
import math
from array import array
from collections.abc import Collection
from typing import Any

import orjson

from distillguard.detect.base import Detector, Observation
from distillguard.detect.detectors import ProbeDetector, TemplateDetector, UsageDetector
from distillguard.detect.features import RequestFeatures
from distillguard.detect.sketches import RotatingBloom, SpaceSaving, hash64

RING = 64


@functools.lru_cache(maxsize=4096)
def _cached_hash(value: str) -> int:
    """Address ranges and user agents repeat on almost every request of an account."""
    return hash64(value)


def default_detectors() -> list[Detector]:
    """Usage counters (ranked among peers by the scorer), probing, and template reuse.

    Templates score nothing in the population scorer: their heavy hitters are content
    fingerprints for campaign linking.
    """
    return [UsageDetector(), ProbeDetector(), TemplateDetector()]


class AccountProfile:
    __slots__ = (
        "detectors",
        "last_ts",
        "n",
        "nets",
        "org",
        "ring",
        "ring_fill",
        "seen",
        "systems",
        "uas",
    )

    def __init__(self, detectors: list[Detector] | None = None) -> None:
        self.detectors = detectors if detectors is not None else default_detectors()
        self.n = 0
        self.last_ts = -math.inf
        self.seen = RotatingBloom()
        # 32-bit SimHashes in a plain array: importing numpy for it would slow every start
        # of `analyze`, and only the PRADA baseline fills the ring.
        self.ring = array("I", [0]) * RING
        self.ring_fill = 0
        self.systems = SpaceSaving(6)
        self.nets = SpaceSaving(6)
        self.uas = SpaceSaving(3)
        # The provider's organisation of the account (its latest): accounts of one are one
        # customer's, which a hidden network is not (`detect.walks`).
        self.org = ""

    def observe(self, f: RequestFeatures) -> Observation:
        """Update the context and every detector with one request; return its observation."""
        novel = not self.seen.seen_then_add(f.prompt)
        # Features without phrasing have no SimHash: no distances to keep.
        distance = self._nearest(f.simhash) if f.simhash else 32
        obs = Observation(f, novel, distance, f.ts - self.last_ts)
        self.n += 1
        self.last_ts = f.ts
        if f.system:
            self.systems.add(f.system)
        if f.ip_prefix:
            self.nets.add(_cached_hash(f.ip_prefix))
        if f.user_agent:
            self.uas.add(_cached_hash(f.user_agent))
        if f.org:
            self.org = f.org
        for detector in self.detectors:
            detector.update(obs)
        return obs

    def _nearest(self, simhash: int) -> int:
        """Distance from `simhash` to the nearest recent prompt's (32 if none); keeps it."""
        filled = min(self.ring_fill, RING)
        distance = 32
        if filled:
            distance = min([(h ^ simhash).bit_count() for h in self.ring[:filled]])
        self.ring[self.ring_fill % RING] = simhash
        self.ring_fill += 1
        return distance

    def fingerprint(self) -> set[str]:
        """Tokens that coordinated accounts share: templates, system prompts, nets, agents."""
        tokens: set[str] = set()
        # Only content that carries much of the account's traffic: a hydra's members run
        # one harvest through one scaffold, while colleagues share a prompt now and then.
        for d in self.detectors:
            if isinstance(d, TemplateDetector):
                tokens.update([f"t{k:x}" for k in d.heavy.heavy(8, max(5, 0.1 * self.n))])
        tokens.update([f"s{k:x}" for k in self.systems.heavy(4, 0.3 * self.n)])
        tokens.update(f"n{k:x}" for k, _ in self.nets.top(4))
        tokens.update(f"u{k:x}" for k, _ in self.uas.top(2))
        return tokens

    def content_share(self, token: str) -> float:
        """Share of this account's requests carried by one content token of `fingerprint`."""
        if not self.n or token[0] not in "ts":
            return 0.0
        key = int(token[1:], 16)
        if token[0] == "s":
            return self.systems.counts.get(key, 0) / self.n
        templates = next(d for d in self.detectors if isinstance(d, TemplateDetector))
        return templates.heavy.counts.get(key, 0) / self.n

    def state_bytes(self) -> int:
        """Size of this profile's serialized state, for the memory-per-account report."""
        return len(orjson.dumps(self.to_state()))

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "last_ts": self.last_ts if math.isfinite(self.last_ts) else None,
            "seen": self.seen.to_state(),
            "ring": self.ring.tolist(),
            "ring_fill": self.ring_fill,
            "systems": self.systems.to_state(),
            "nets": self.nets.to_state(),
            "uas": self.uas.to_state(),
            "org": self.org,
            "detectors": {d.name: d.to_state() for d in self.detectors},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> AccountProfile:
        p = cls()
        p.n = state["n"]
        p.last_ts = state["last_ts"] if state["last_ts"] is not None else -math.inf
        p.seen = RotatingBloom.from_state(state["seen"])
        p.ring = array("I", state["ring"])
        p.ring_fill = state["ring_fill"]
        p.systems = SpaceSaving.from_state(state["systems"])
        p.nets = SpaceSaving.from_state(state["nets"])
        p.uas = SpaceSaving.from_state(state["uas"])
        p.org = str(state.get("org", ""))  # states saved before orgs were kept have none
        for d in p.detectors:
            d.load_state(state["detectors"][d.name])
        return p

    def merged_detectors(
        self, others: list[AccountProfile], names: Collection[str] | None = None
    ) -> list[Detector]:
        """Fresh detectors holding this profile's evidence plus the others' (a campaign).

        `names`: only the detectors of those names (a campaign's risk reads two of three).
        """
        mine = self.detectors if names is None else [d for d in self.detectors if d.name in names]
        merged = [_copy(d) for d in mine]
        for m in merged:
            for other in others:
                m.merge(next(x for x in other.detectors if x.name == m.name))
        return merged


def _copy(d: Detector) -> Detector:
    """An independent copy of a detector: the built-in ones copy themselves, for speed."""
    if isinstance(d, UsageDetector | ProbeDetector | TemplateDetector):
        return d.copy()
    return copy.deepcopy(d)
