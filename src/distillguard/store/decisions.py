"""The decisions table: detection workers write an account's policy level, gateways read
what changed since they last looked.

Every write takes the next `version` (one more than the highest), so a reader keeps one
number and asks for rows above it. Two workers writing at once must not take the same
version, or a reader could step over one of them: SQLite takes its write lock when the
statement starts, before it reads the highest version; PostgreSQL gets an advisory lock for
the transaction first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from distillguard.store.tables import decisions

_LOCK = 0x6467_6465_6369  # "dgdeci": the advisory lock of decision writers


def _upsert(dialect: Any) -> Any:
    """The row of one account, at the next version. Built once: a statement built per row
    costs SQLAlchemy ten times what the row costs the database."""
    version = select(func.coalesce(func.max(decisions.c.version), 0) + 1).scalar_subquery()
    stmt = dialect.insert(decisions).values(
        account=bindparam("account"), decision=bindparam("decision"), version=version
    )
    return stmt.on_conflict_do_update(
        index_elements=[decisions.c.account],
        set_={"decision": stmt.excluded.decision, "version": stmt.excluded.version},
    )


_UPSERT = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def publish(engine: Engine, entries: Mapping[str, bytes]) -> None:
    if not entries:
        return
    pg = engine.dialect.name == "postgresql"
    upsert = _UPSERT["postgresql" if pg else "sqlite"]
    with engine.begin() as conn:
        if pg:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        # One statement a row, not one for all: each row reads the version the one before
        # it took.
        for account, blob in entries.items():
            conn.execute(upsert, {"account": account, "decision": blob})


def since(engine: Engine, version: int, limit: int) -> list[tuple[str, bytes, int]]:
    """(account, decision, version) of rows written after `version`, oldest first."""
    query = (
        select(decisions.c.account, decisions.c.decision, decisions.c.version)
        .where(decisions.c.version > version)
        .order_by(decisions.c.version)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(a, bytes(d), int(v)) for a, d, v in conn.execute(query)]
