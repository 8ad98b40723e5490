"""The overview page's numbers: accounts flagged per hour, cases opened and closed per day,
the policy's levels across accounts, and events dropped or lagging. Blocking (the store):
call it in a worker thread. Pure reads.

Hours and days are of event time, as the recorder and the audit log keep them (a replay's
clock, under `trust_event_time`), so the bars end at the newest data, not at the wall clock.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from distillguard.console.plot import bar_plot
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.recorder import EventRecorder
from distillguard.policy.model import BASE_LEVEL
from distillguard.store import Store

HOURS, DAYS = 48, 14


@dataclass(frozen=True, slots=True)
class LevelCount:
    level: str
    enforcing: int
    shadow: int


@dataclass(frozen=True, slots=True)
class Overview:
    flagged: Markup
    flagged_total: int
    cases: Markup
    levels: tuple[LevelCount, ...]
    health: dict[str, int]


def overview(store: Store, recorder: EventRecorder, enforcement: Enforcement) -> Overview:
    with recorder.lock:
        hours = dict(recorder.flagged_hours)
        flagged_total = len(recorder.flagged)
    end_hour = max(hours) if hours else int(time.time() // 3600)
    shown = range(end_hour - HOURS + 1, end_hour + 1)
    flagged = bar_plot(
        [_stamp(h * 3600, "%m-%d %H:00") for h in shown],
        [("flagged", [hours.get(h, 0) for h in shown])],
        f"Accounts flagged per hour, the last {HOURS} hours",
    )
    newest = store.newest_case_step()
    end_day = int((newest if newest is not None else time.time()) // 86_400)
    days = store.case_days((end_day - DAYS + 1) * 86_400.0)
    span = range(end_day - DAYS + 1, end_day + 1)
    cases = bar_plot(
        [_stamp(d * 86_400, "%Y-%m-%d") for d in span],
        [
            ("opened", [days.get(d, (0, 0))[0] for d in span]),
            ("closed", [days.get(d, (0, 0))[1] for d in span]),
        ],
        f"Cases opened and closed per day, the last {DAYS} days",
    )
    return Overview(flagged, flagged_total, cases, _levels(enforcement), recorder.health())


def _levels(enforcement: Enforcement) -> tuple[LevelCount, ...]:
    """Accounts per level, in the ladder's order; the base level is every account not above."""
    counts = Counter((d.level, d.shadow) for _, d in enforcement.enforcer.escalated())
    above = sum(counts.values())
    names = [BASE_LEVEL, *(lv.name for lv in enforcement.policy.levels)]
    names += sorted({level for level, _ in counts} - set(names))  # a tier's own ladder
    rows = [LevelCount(n, counts[(n, False)], counts[(n, True)]) for n in names]
    base = max(len(enforcement.enforcer) - above, 0)
    rows[0] = LevelCount(BASE_LEVEL, base, 0)
    return tuple(rows)


def _stamp(ts: float, fmt: str) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(fmt)
