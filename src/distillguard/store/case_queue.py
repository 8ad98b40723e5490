"""The review queue as a person works it: filtered, sorted and paged, with counts per state.

`list_cases` (store/cases.py) returns whole cases, evidence and all; a queue page needs 50 rows
of a few columns out of 10,000s, so this reads only those columns, one page at a time, and
the counts with one GROUP BY.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, Select, func, or_, select

from distillguard.errors import InvalidValueError
from distillguard.store.cases import case_from_row
from distillguard.store.guard import guarded
from distillguard.store.records import Case, CaseStatus
from distillguard.store.tables import accounts, audit_log, cases

SORTS = ("risk", "age", "tier")
MAX_PER_PAGE = 200
UNASSIGNED = "-"  # the assignee filter value for cases nobody has taken
OPENED, CLOSED = ("case_opened",), ("case_confirmed", "case_dismissed")


@dataclass(frozen=True, slots=True)
class CaseQuery:
    status: str | None = "open"  # None: every state
    level: str | None = None
    assignee: str | None = None  # UNASSIGNED: nobody's
    campaign: str | None = None  # the campaign's own case and its members' cases
    sort: str = "risk"
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: str
    kind: str
    subject: str
    status: CaseStatus
    opened_at: float
    updated_at: float
    level: str
    risk: float
    assignee: str | None
    members: int
    name: str | None  # the account's name (account cases)
    tier: str | None


@dataclass(frozen=True, slots=True)
class CasePage:
    rows: tuple[QueueRow, ...]
    total: int  # cases matching the filters, over all pages
    counts: dict[str, int]  # cases per state, under the filters other than the state
    levels: tuple[str, ...]  # levels seen among cases, for the filter's choices
    query: CaseQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _check(q: CaseQuery) -> None:
    if q.status is not None and q.status not in {s.value for s in CaseStatus}:
        raise InvalidValueError("status", q.status, [s.value for s in CaseStatus])
    if q.sort not in SORTS:
        raise InvalidValueError("sort", q.sort, list(SORTS))
    if q.page < 1:
        raise InvalidValueError("page", q.page, ["a whole number from 1"])
    if not 1 <= q.per_page <= MAX_PER_PAGE:
        raise InvalidValueError("per_page", q.per_page, [f"1 to {MAX_PER_PAGE}"])


class CaseQueueMixin:
    engine: Engine

    @guarded
    def newest_case_step(self) -> float | None:
        """When a case was last opened or closed (the audit log's clock), or None."""
        query = select(func.max(audit_log.c.at)).where(audit_log.c.action.in_(OPENED + CLOSED))
        with self.engine.connect() as conn:
            newest = conn.execute(query).scalar()
        return None if newest is None else float(newest)

    @guarded
    def case_days(self, since: float) -> dict[int, tuple[int, int]]:
        """Cases opened and closed (confirmed or dismissed) per UTC day (its number since the
        epoch) from `since` on, read from the audit log, where each of these steps is kept."""
        day = func.floor(audit_log.c.at / 86_400)
        query = (
            select(day, audit_log.c.action, func.count())
            .where(audit_log.c.at >= since, audit_log.c.action.in_(OPENED + CLOSED))
            .group_by(day, audit_log.c.action)
        )
        out: dict[int, tuple[int, int]] = {}
        with self.engine.connect() as conn:
            for d, action, n in conn.execute(query):
                opened, closed = out.get(int(d), (0, 0))
                if action in OPENED:
                    out[int(d)] = (opened + n, closed)
                else:
                    out[int(d)] = (opened, closed + n)
        return out

    @guarded
    def case_page(self, q: CaseQuery) -> CasePage:
        _check(q)
        with self.engine.connect() as conn:
            where = self._filters(conn, q)
            counted = select(cases.c.status, func.count()).where(*where).group_by(cases.c.status)
            counts = {s.value: 0 for s in CaseStatus}
            counts.update({status: n for status, n in conn.execute(counted)})
            if q.status is not None:
                where.append(cases.c.status == q.status)
            total = conn.execute(select(func.count()).select_from(cases).where(*where)).scalar()
            rows = conn.execute(_page(q, where)).mappings().all()
            levels = conn.execute(select(cases.c.level).distinct().order_by(cases.c.level))
            return CasePage(
                tuple(_row(r) for r in rows),
                int(total or 0),
                counts,
                tuple(levels.scalars()),
                q,
            )

    @guarded
    def cases_about(self, subject: str, limit: int = 100) -> list[Case]:
        """Cases on `subject` and, for an account, on the campaigns it is a member of."""
        member = orjson.dumps(subject).decode()  # as it appears in the JSON list of members
        query = (
            select(cases)
            .where(or_(cases.c.subject == subject, cases.c.members.contains(member)))
            .order_by(cases.c.opened_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [case_from_row(r, []) for r in conn.execute(query).mappings()]

    def _filters(self, conn: Any, q: CaseQuery) -> list[Any]:
        where: list[Any] = []
        if q.level:
            where.append(cases.c.level == q.level)
        if q.assignee == UNASSIGNED:
            where.append(cases.c.assignee.is_(None))
        elif q.assignee:
            where.append(cases.c.assignee == q.assignee)
        if q.campaign:
            own = (cases.c.kind == "campaign", cases.c.subject == q.campaign)
            found = conn.execute(select(cases.c.members).where(*own)).scalars()
            members = {m for text in found for m in orjson.loads(text)}
            where.append(or_(cases.c.subject == q.campaign, cases.c.subject.in_(members)))
        return where


def _page(q: CaseQuery, where: list[Any]) -> Select[Any]:
    order: list[Any]
    if q.sort == "age":
        order = [cases.c.opened_at, cases.c.id]
    elif q.sort == "tier":
        order = [accounts.c.tier, cases.c.risk.desc(), cases.c.id]
    else:
        order = [cases.c.risk.desc(), cases.c.opened_at, cases.c.id]
    return (
        select(
            cases.c.id,
            cases.c.kind,
            cases.c.subject,
            cases.c.status,
            cases.c.opened_at,
            cases.c.updated_at,
            cases.c.level,
            cases.c.risk,
            cases.c.assignee,
            cases.c.members,
            accounts.c.name,
            accounts.c.tier,
        )
        .select_from(cases.outerjoin(accounts, accounts.c.id == cases.c.subject))
        .where(*where)
        .order_by(*order)
        .limit(q.per_page)
        .offset((q.page - 1) * q.per_page)
    )


def _row(r: Any) -> QueueRow:
    return QueueRow(
        id=r["id"],
        kind=r["kind"],
        subject=r["subject"],
        status=CaseStatus(r["status"]),
        opened_at=r["opened_at"],
        updated_at=r["updated_at"],
        level=r["level"],
        risk=r["risk"],
        assignee=r["assignee"],
        members=len(orjson.loads(r["members"])),
        name=r["name"],
        tier=r["tier"],
    )
