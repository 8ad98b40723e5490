"""Bring a database to the newest schema with the migrations shipped in this package.

Replicas (or CLI commands) starting together take turns: PostgreSQL through an advisory lock
held by the migration's transaction, SQLite through `startup_lock`, an flock on
`<database>.migrate.lock` beside the file. SQLite's own locking is not enough: two first
starts each see no tables, and the second's `CREATE TABLE` fails ("table tiers already exists").
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x64697374  # advisory lock id: replicas starting together migrate one at a time
LOCK_SUFFIX = ".migrate.lock"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database, or None (PostgreSQL, in-memory, a `file:` URI)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Held while one process migrates a SQLite file and writes its tiers; others wait.

    The lock file stays (removing it would let a process that already opened it lock a file
    no one else sees). On PostgreSQL this holds nothing: `upgrade` locks there itself.
    """
    db = sqlite_file(engine)
    if db is None:
        yield
        return
    fd = os.open(f"{db}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration the database lacks, in one transaction per run."""
    cfg = alembic_config(engine)
    with startup_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with startup_lock(engine), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
