"""An event log line cut from the journal record's own bytes, instead of serialised again.

A journal record is `orjson.dumps` of the gateway's event: `ts` first (Unix seconds), the
event's fields, then the gateway's own fields (`_meta`, `_id`) last. Its log line is the same
object with `ts` written as RFC 3339 and the `_` fields left out: the record with its head and
tail replaced, written as three pieces instead of a `dumps` of a 3 KB object.

`body` checks that the record has that shape, and returns None when it has not (another
writer, another key order): the caller then serialises the parsed event, so any record still
gives a line with the same meaning, just more slowly. A record with a key twice is not looked
for: orjson never writes one for a dict, and a scan of every record for it would cost more
than the serialisation it saves.

`TsHead` is `events.format_ts` for a stream of nearby times: it formats each second once.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson

_HEAD = b'{"ts":'
_MILLIS = [f'{ms:03d}Z"'.encode() for ms in range(1000)]
_TWO = [f"{n:02d}".encode() for n in range(60)]
_DAY_S = 86_400


class TsHead:
    """The head of a log line, `{"ts":"` + `format_ts(ts)` + `"`, and the ts it reads back as.

    Each new second's text is put together from its day's (formatted once a day) and its
    time of day: events of a quiet account, seconds apart, would otherwise cost a strftime
    each, more than format_ts itself."""

    def __init__(self) -> None:
        self._second = math.nan  # the whole second the cached prefix is of
        self._prefix = b""
        self._ms_base: int | None = 0  # that second in milliseconds; None: does not read back
        self._day: int | None = None  # the day (since the epoch) the cached date is of
        self._date = b""
        self._readable = True

    def __call__(self, ts: float) -> tuple[bytes, float | None]:
        """(head, `parse_ts` of its text: the ts cut to milliseconds); None for the second
        when the text does not read back (strftime writes years before 1000 short, and
        `parse_ts` refuses them)."""
        # datetime.fromtimestamp's own rounding (to the microsecond, half to even), so that
        # the text is exactly format_ts's, near a second's end and before 1970 too.
        frac, whole = math.modf(ts)
        us = round(frac * 1e6)
        if not 0 <= us < 1_000_000:
            whole, us = (whole + 1.0, us - 1_000_000) if us > 0 else (whole - 1.0, us + 1_000_000)
        if whole != self._second:
            self._new_second(whole)
        ms = us // 1000
        base = self._ms_base
        # What parse_ts makes of the text: whole microseconds over 10**6, rounded once.
        return self._prefix + _MILLIS[ms], None if base is None else (base + ms) / 1000

    def _new_second(self, whole: float) -> None:
        day, second = divmod(int(whole), _DAY_S)  # UTC has no leap seconds in datetime
        if day != self._day:
            text = datetime.fromtimestamp(day * _DAY_S, UTC).strftime("%Y-%m-%dT")
            self._date = b'{"ts":"' + text.encode()
            self._readable = _reads_back(text)
            self._day = day
        hour, rest = divmod(second, 3600)
        minute, sec = divmod(rest, 60)
        self._prefix = b"%s%s:%s:%s." % (self._date, _TWO[hour], _TWO[minute], _TWO[sec])
        self._ms_base = int(whole) * 1000 if self._readable else None
        self._second = whole


def ts_text(head: bytes) -> str:
    """The RFC 3339 text of a `TsHead` head."""
    return head[len(_HEAD) + 1 : -1].decode()


def _reads_back(date: str) -> bool:
    try:
        datetime.fromisoformat(date + "00:00:00+00:00")
    except ValueError:
        return False
    return True


def journal_ts(record: bytes) -> float | None:
    """The ts of a record that starts with it, a number, as the gateway writes them, read
    without parsing the rest; None for any other record."""
    found = _leading_ts(record)
    return None if found is None else found[0]


def _leading_ts(record: bytes) -> tuple[float, int] | None:
    """(ts, where its value ends) of a record that starts with ts as a number."""
    if not record.startswith(_HEAD):
        return None
    end = record.find(b",", len(_HEAD))  # numbers have no commas: the end of ts's value
    if end < 0:
        return None
    try:
        ts = float(record[len(_HEAD) : end])  # a JSON number, not a string that has a comma
    except ValueError:
        return None
    return (ts, end) if math.isfinite(ts) else None


def body(record: bytes, private: list[tuple[str, Any]]) -> memoryview | None:
    """What follows ts in the log line of a journal `record` (no newline) whose parsed
    `private` fields, in order, are its last: from the comma after ts to the last field
    before them, so that head + body + `}` is the line. None if the record is not in the
    shape orjson writes the gateway's events in."""
    found = _leading_ts(record)
    if found is None:
        return None
    start = found[1]
    tail = b"".join([b"," + orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in private])
    end = len(record) - len(tail) - 1
    if end < start or not record.endswith(tail + b"}"):
        return None
    return memoryview(record)[start:end]
