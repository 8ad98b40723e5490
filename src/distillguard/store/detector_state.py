"""The detector state table: one compressed blob per account, upserted in batches.

Only the accounts that changed since the last save are written, so a gateway with many
quiet accounts saves little. The blobs are compressed JSON states: `encode` and `decode` are
their one codec; what is in them belongs to the detection engine and the policy.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
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


def load_since(engine: Engine, after: float) -> tuple[dict[str, bytes], float]:
    """The accounts' states saved after `after` (a `time.time()` of the savers' clocks), and
    the newest save time among them (`after` when there is none). Shared keys ("#...": a
    worker's campaigns, levels, position) are left out: they are rewritten at every save."""
    c = detector_state.c
    query = select(c.account, c.state, c.updated_at).where(
        c.updated_at > after, ~c.account.startswith("#", autoescape=True)
    )
    with engine.connect() as conn:
        out, newest = {}, after
        for account, state, updated in conn.execute(query):
            out[account] = bytes(state)
            newest = max(newest, float(updated))
        return out, newest


def load_keys(engine: Engine, keys: Sequence[str]) -> dict[str, bytes]:
    c = detector_state.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.account, c.state).where(c.account.in_(list(keys))))
        return {account: bytes(state) for account, state in rows}


def encode(state: object) -> bytes:
    """A JSON-able state as the table holds it: orjson, zlib level 1 (fast; states are
    rewritten every save)."""
    return zlib.compress(orjson.dumps(state), 1)


def decode(blob: bytes) -> Any:
    """Raises ValueError naming the problem when the blob is not a state this writes."""
    try:
        return orjson.loads(zlib.decompress(blob))
    except (zlib.error, orjson.JSONDecodeError) as err:
        raise ValueError(f"detector state unreadable: {err}") from err


def shared_key(name: str, partition: int | None) -> str:
    """The key of a state shared by a detector's accounts ("#campaigns", "#policy",
    "#position"): one per partition when accounts are partitioned across workers."""
    return name if partition is None else f"{name}@{partition}"
