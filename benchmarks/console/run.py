"""The console's queue page with 10,000 open cases: server time per page (target: < 100 ms).

Fills a SQLite store with 10,000 account cases (bulk inserts, each with evidence of the size
the policy writes), starts a real gateway, signs in and times GET /console/ (first page,
sorted by risk; a deep page; a filtered page) from the request to the last byte over loopback.

    .venv/bin/python benchmarks/console/run.py [--cases 10000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "console"))
from console_harness import PASSWORD, Reviewer, start_console

from distillguard.store.tables import accounts, cases


def fill(store: object, n: int) -> None:
    engine = store.engine  # type: ignore[attr-defined]
    rng = random.Random(0)
    evidence = orjson.dumps(
        {
            "reasons": ["walks prompts without repeats: 4,210 distinct of 4,230"] * 3,
            "points": [[1.8e9 + i * 60, rng.random()] for i in range(64)],
            "samples": ["x" * 300] * 5,
        }
    ).decode()
    now = time.time()
    account_rows, case_rows = [], []
    for i in range(n):
        aid = f"acct_{i:012x}"
        account_rows.append(
            {
                "id": aid,
                "name": f"customer {i}",
                "tier": rng.choice(["free", "standard"]),
                "status": "active",
                "created_at": now,
            }
        )
        case_rows.append(
            {
                "id": f"case_{i:012x}",
                "kind": "account",
                "subject": aid,
                "status": "open",
                "opened_at": now - rng.random() * 86400,
                "updated_at": now,
                "level": rng.choice(["probation", "restrict", "suspend"]),
                "risk": rng.random(),
                "members": orjson.dumps([aid]).decode(),
                "evidence": evidence,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(accounts), account_rows)
        conn.execute(insert(cases), case_rows)


def timed(client: Reviewer, path: str, rounds: int) -> list[float]:
    client.get(path)  # warm
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text[:300]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        console = start_console(Path(tmp))
        try:
            fill(console.store, args.cases)
            console.store.create_reviewer("bench", "viewer", PASSWORD)
            client = Reviewer(console.url)
            client.sign_in("bench")
            pages = {
                "first page, by risk": "/console/",
                "page 100, by risk": "/console/?page=100",
                "by age": "/console/?sort=age",
                "by tier": "/console/?sort=tier",
                "level=restrict": "/console/?level=restrict",
            }
            print(f"{args.cases:,} open cases, {args.rounds} requests each (ms, loopback)")
            for name, path in pages.items():
                ms = timed(client, path, args.rounds)
                p95 = sorted(ms)[int(0.95 * len(ms)) - 1]
                print(f"{name:22} median {statistics.median(ms):6.1f}  p95 {p95:6.1f}")
            client.close()
        finally:
            console.stop()


if __name__ == "__main__":
    main()
