"""Which records an export keeps: one account's, those in a time window, or all.

`since` is inclusive and `until` exclusive, both compared with the event's own `ts` (the time
the request arrived). The same rules, read back from an export's first line, let `verify`
check that every record an export holds belongs in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from distillguard.errors import LedgerFormatError
from distillguard.events import FieldError, format_ts, parse_ts


@dataclass(frozen=True)
class SliceRules:
    account: str | None = None
    since: float | None = None
    until: float | None = None

    @property
    def everything(self) -> bool:
        return self.account is None and self.since is None and self.until is None

    @classmethod
    def of(cls, header: dict[str, Any], path: str) -> SliceRules:
        """The rules an export's first line states."""
        account = header.get("account")
        if account is not None and not isinstance(account, str):
            raise LedgerFormatError(path, 1, "export.account", "must be a string or null")
        try:
            since, until = (
                None if header.get(k) is None else parse_ts(header[k], f"export.{k}")
                for k in ("since", "until")
            )
        except FieldError as err:
            raise LedgerFormatError(path, 1, err.field, err.problem) from None
        return cls(account, since, until)

    def header(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "since": None if self.since is None else format_ts(self.since),
            "until": None if self.until is None else format_ts(self.until),
        }

    def includes(self, event: dict[str, Any], path: str, line: int) -> bool:
        if self.account is not None and event.get("account") != self.account:
            return False
        if self.since is None and self.until is None:
            return True
        try:
            ts = parse_ts(event.get("ts"), "event.ts")
        except FieldError as err:
            raise LedgerFormatError(path, line, err.field, err.problem) from None
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)

    def misfit(self, event: dict[str, Any], path: str, line: int) -> str | None:
        """Why a record an export holds does not belong in it, or None."""
        if self.includes(event, path, line):
            return None
        if self.account is not None and event.get("account") != self.account:
            return (
                f"a record of account {event.get('account')!r} in an export of account "
                f"{self.account!r}: the record was swapped in"
            )
        return f"a record at {event.get('ts')!r}, outside the export's time window"
