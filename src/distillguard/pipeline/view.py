"""Detection as the gateway shows it when workers run it: read back from the saved state.

The admin API and the console read an `Analyzer`. With detection in worker processes, the
gateway holds none; `DetectionView` restores one from the detector state the workers save
(every `[events] save_state_s`), at most every `max_age_s`, merging the workers' partitions:
accounts are each in one partition; campaigns and populations are merged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from distillguard.detect.engine import CAMPAIGNS, Analyzer
from distillguard.detect.population import Population
from distillguard.errors import StoreError
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.store import Store
from distillguard.store.detector_state import decode

log = logging.getLogger("distillguard.pipeline.view")


class DetectionView:
    def __init__(self, store: Store, max_age_s: float = 5.0) -> None:
        self._store = store
        self.max_age_s = max_age_s
        self.lock = threading.Lock()
        self._analyzer = Analyzer()
        self._loaded_at = float("-inf")
        self.positions: dict[str, Position] = {}  # each worker's, by its key

    def analyzer(self) -> Analyzer:
        """The saved detection, at most `max_age_s` old (or the last one read)."""
        with self.lock:
            if time.monotonic() - self._loaded_at >= self.max_age_s:
                self._reload()
            return self._analyzer

    def _reload(self) -> None:
        self._loaded_at = time.monotonic()
        try:
            saved = self._store.load_detector_state()
        except StoreError as err:
            log.warning("detection view not refreshed: %s", err)
            return
        states: dict[str, Any] = {}
        shared: list[dict[str, Any]] = []
        for key, blob in saved.items():
            try:
                if key == POSITION_KEY or key.startswith(POSITION_KEY + "@"):
                    self.positions[key] = Position.from_bytes(blob)
                elif key == CAMPAIGNS or key.startswith(CAMPAIGNS + "@"):
                    shared.append(decode(blob))
                elif not key.startswith("#"):
                    states[key] = decode(blob)
            except ValueError as err:
                log.warning("saved state %s not shown: %s", key, err)
        if shared:
            states[CAMPAIGNS] = merged_campaigns(shared)
        analyzer = Analyzer()
        try:
            analyzer.restore(states)
        except (KeyError, TypeError, ValueError) as err:
            log.warning("detection view not refreshed: %s", err)
            return
        self._analyzer = analyzer


def merged_campaigns(shared: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' campaign states as one: their campaigns side by side, event counts
    added, populations merged. Ids are content hashes of the members: a campaign two workers
    both hold (a linker's, adopted by each) has one id and the same members in both."""
    out: dict[str, Any] = {
        "events": sum(int(s.get("events", 0)) for s in shared),
        "next_link_ts": max(float(s.get("next_link_ts", 0.0)) for s in shared),
        "scores": {},
        "members": {},
        "first_ts": {},
        "links": {},
    }
    population: Population | None = None
    for s in shared:
        for name in ("scores", "members", "first_ts", "links"):
            out[name].update(s.get(name, {}))
        if "population" in s:
            p = Population.from_state(s["population"])
            population = p if population is None else population.merge(p)
    out["walks"] = sorted({c for s in shared for c in s.get("walks", ())})
    if population is not None:
        out["population"] = population.to_state()
    return out
