"""SQLite first starts at once: six processes migrate one fresh file, every one succeeds."""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

ROUNDS = 5
PROCESSES = 6


def _start(folder: str, barrier: Any, results: Any, rounds: int) -> None:
    from distillguard.settings import load_settings
    from distillguard.store import open_store

    for r in range(rounds):
        url = f"sqlite:///{Path(folder) / f'round{r}.db'}"
        barrier.wait(timeout=120)  # all at once, on a file that does not exist yet
        try:
            open_store(load_settings(overrides={"database_url": url})).close()
            results.put((r, "ok"))
        except Exception:  # reported to the test, which fails naming it
            results.put((r, traceback.format_exc(limit=3)))


def test_six_first_starts_at_once_all_succeed(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_start, args=(str(tmp_path), barrier, results, ROUNDS))
        for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    got = [results.get(timeout=300) for _ in range(PROCESSES * ROUNDS)]
    for w in workers:
        w.join(timeout=60)
    failures = [(r, why) for r, why in got if why != "ok"]
    assert not failures, failures
    assert all(w.exitcode == 0 for w in workers)
    for r in range(ROUNDS):
        lock = tmp_path / f"round{r}.db.migrate.lock"
        assert lock.exists() and (lock.stat().st_mode & 0o777) == 0o600
        assert ((tmp_path / f"round{r}.db").stat().st_mode & 0o777) == 0o600
