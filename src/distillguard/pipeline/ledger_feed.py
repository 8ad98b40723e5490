"""The ledger as a consumer of the journal: each record appended once, in journal order.

The ledger counts its records from 1 with no gaps; the journal counts offsets from 0. A file
`journal.base` in the ledger folder holds the journal offset of the ledger's record 0 (written
once, when the ledger is first fed), so after any restart the ledger's next offset is
`base + records`, whatever the ledger lost of an unflushed tail: those records are appended
again from the journal, and none that reached the ledger is appended twice.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from distillguard.events import format_ts
from distillguard.forensics.ledger import Ledger

log = logging.getLogger("distillguard.pipeline.ledger")

_BASE_FILE = "journal.base"


class LedgerFeed:
    def __init__(self, ledger: Ledger, start: int) -> None:
        """`start`: the journal offset to begin at when this ledger was never fed before."""
        self.ledger = ledger
        path = ledger.folder / _BASE_FILE
        if path.exists():
            text = path.read_text().strip()
            if not text.isdigit():
                raise ValueError(f"{path}: expected a journal offset, found {text[:40]!r}")
            base = int(text)
        else:
            base = max(0, start - ledger.seq)
            _write_base(path, base)
        self._path = path
        self.next_offset = base + ledger.seq

    def feed(self, offset: int, event: dict[str, Any]) -> None:
        if offset < self.next_offset:
            return
        if offset > self.next_offset:  # the journal lost what the ledger still needed
            log.error(
                "ledger %s: journal offsets %d..%d are gone and not in the ledger",
                self.ledger.folder,
                self.next_offset,
                offset - 1,
            )
        stored = {k: v for k, v in event.items() if not k.startswith("_")}  # ours, not its
        stored["ts"] = format_ts(float(stored["ts"]))
        self.ledger.append(stored)
        if offset > self.next_offset:  # so that base + records is the next offset again
            _write_base(self._path, offset + 1 - self.ledger.seq)
        self.next_offset = offset + 1


def _write_base(path: Path, base: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{base}\n")
    os.replace(tmp, path)
