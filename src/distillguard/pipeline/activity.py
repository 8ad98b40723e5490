"""What the console shows beside detection: accounts flagged per hour, requests per day.

In memory only: it is not part of the saved detector state, so it starts empty when the
gateway restarts (flags come back from the restored detector state).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

_HOURS_KEPT = 168
_DAYS_KEPT = 30  # UTC days of requests kept per account, for the console's account page
# Accounts with a daily series; the one whose last request is oldest goes first. Keys are
# authenticated accounts, but a store of millions must not cost 30 counters each here.
_DAY_ACCOUNTS = 100_000


class Activity:
    def __init__(self) -> None:
        # Accounts newly flagged per hour (of event time), the last week's: the overview.
        self.flagged_hours: dict[int, int] = {}
        self._daily: OrderedDict[str, dict[int, int]] = OrderedDict()

    def count_flag(self, ts: float) -> None:
        hour = int(ts // 3600)
        self.flagged_hours[hour] = self.flagged_hours.get(hour, 0) + 1
        if len(self.flagged_hours) > _HOURS_KEPT:
            del self.flagged_hours[min(self.flagged_hours)]

    def count_day(self, account: Any, ts: float) -> None:
        if not isinstance(account, str):
            return
        day = int(ts // 86_400)
        days = self._daily.get(account)
        if days is not None and day in days:  # the usual case: a day already counted is in
            days[day] += 1  # the window, and the newest day stays as it was: nothing to drop
            self._daily.move_to_end(account)
            return
        if days is None:
            days = self._daily[account] = {}
            while len(self._daily) > _DAY_ACCOUNTS:
                self._daily.popitem(last=False)
        elif day <= max(days) - _DAYS_KEPT:
            return  # a late event from before the window
        self._daily.move_to_end(account)
        days[day] = days.get(day, 0) + 1
        for old in [d for d in days if d <= day - _DAYS_KEPT]:
            del days[old]

    def per_day(self, account: str) -> list[tuple[int, int]]:
        """(UTC day since the epoch, requests) for the 30 days up to the account's latest
        request, days without requests as 0; [] when none were recorded since the start."""
        days = dict(self._daily.get(account, {}))
        if not days:
            return []
        last = max(days)
        return [(d, days.get(d, 0)) for d in range(last - _DAYS_KEPT + 1, last + 1)]
