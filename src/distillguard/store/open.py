"""`open_store(settings)`: the only place a store backend is chosen.

`sqlite:///PATH` (the default; the file, mode 0600, and its folder, 0700, are created) or
`postgresql://USER@HOST/DB` (psycopg 3; `postgresql+psycopg://` is the same). The schema is
migrated to the newest version unless `auto_migrate = false`, and the tiers named in the
settings are written, so the CLI and every gateway replica see the same ones. Errors name
the backend and the problem, never the URL (it may hold a password).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from distillguard.errors import StoreError, StoreUnavailableError
from distillguard.settings import Settings
from distillguard.store import migrate
from distillguard.store.guard import first_line, scrub
from distillguard.store.protocol import Store
from distillguard.store.records import Tier
from distillguard.store.secrets import DEFAULT_COST, KdfCost
from distillguard.store.sql_store import SqlStore


def open_store(settings: Settings, *, kdf_cost: KdfCost = DEFAULT_COST) -> Store:
    url = settings.database_url
    shown = _shown(url)
    try:
        engine = _engine(url)
    except (ArgumentError, ValueError) as err:
        problem = scrub(first_line(err), url)
        raise StoreUnavailableError(shown, f"not a usable database URL ({problem})") from None
    try:
        if settings.auto_migrate:
            migrate.upgrade(engine)
        store = SqlStore(engine, kdf_cost=kdf_cost)
        for name, tier in settings.tiers.items():
            allowed = None if tier.allowed_params is None else frozenset(tier.allowed_params)
            store.put_tier(
                Tier(
                    name,
                    requests_per_min=tier.requests_per_min,
                    tokens_per_min=tier.tokens_per_min,
                    daily_tokens=tier.daily_tokens,
                    allowed_params=allowed,
                )
            )
    except SQLAlchemyError as err:
        engine.dispose()
        raise StoreUnavailableError(shown, scrub(first_line(err), engine.url)) from None
    except StoreError:
        engine.dispose()
        raise
    return store


def _shown(url: str) -> str:
    """The URL with its password hidden; only its scheme if it does not parse (it may hold a
    password where the parser could not find it)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.partition(":")[0]


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(url)
    raise ValueError(f"backend {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})
    db = migrate.sqlite_file(engine)
    if db is not None:
        _private_file(db)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def _private_file(db: Path) -> None:
    """Create the database file readable by its owner only (it holds key hashes); SQLite gives
    its -wal and -shm files the database file's mode."""
    db.expanduser().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an existing database keeps the mode its operator gave it
    except FileNotFoundError:
        pass  # SQLite says so when it opens it, naming the problem


def _postgres_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
