"""The detector state table: one compressed blob per account, upserted in batches.

Only the accounts that changed since the last save are written, so a gateway with many
quiet accounts saves little; the blobs are opaque here (the detection engine owns them).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from distillguard.store.tables import detector_state

_CHUNK = 500  # rows per statement: bounded parameters on both backends


def save(engine: Engine, states: Mapping[str, bytes]) -> None:
    if not states:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    now = time.time()
    rows = [{"account": a, "state": blob, "updated_at": now} for a, blob in states.items()]
    with engine.begin() as conn:
        for i in range(0, len(rows), _CHUNK):
            stmt = dialect.insert(detector_state).values(rows[i : i + _CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=[detector_state.c.account],
                set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
            )
            conn.execute(stmt)


def load(engine: Engine) -> dict[str, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(select(detector_state.c.account, detector_state.c.state))
        return {account: bytes(state) for account, state in rows}
