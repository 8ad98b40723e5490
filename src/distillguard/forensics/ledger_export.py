"""Export a ledger, or the slice of it for one account or time window, as one checkable file.

    export_slice(Path("ledger"), "acct_7f3a", Path("acct_7f3a.ledger.jsonl"))
    verify_ledger(Path("acct_7f3a.ledger.jsonl"), load_verifier(Path("ledger.key.pub")))

The file is self-contained: `{"export": {...}}` first (what was asked for, unsigned), then
the records kept (byte for byte as in the ledger), hash stubs for the records left out, the
checkpoints, and `{"end": {...}}` last. A run of left-out records becomes one stub
`{"seq": LAST, "hash": HASH_OF_LAST, "omitted": COUNT}`: the next kept record names that hash
as its `prev`, so the verifier recomputes every kept record's hash and follows the chain, through
the stubs, to a signed checkpoint. Forging a kept record, or moving it, would need a SHA-256
preimage.

Trade-offs, chosen for a simple verifier that is the ledger's own:
- *Size*: one stub per run of other records, so a slice is about the size of the records kept
  plus ~110 bytes per run, not per record left out; a Merkle tree per checkpoint would need
  ~log2(n) hashes per kept record instead, and a second verification path.
- *Signing times*: each kept record is followed by the first checkpoint after it (others are
  folded into the stubs), so each carries a signed time by which it was in the ledger.
- *Completeness is not proven*: a stub does not say whose records it hides, so the slice
  proves that the records it shows are authentic and in place, not that the account has no
  other records. (A per-record account commitment in the chain would prove that, at the price
  of revealing how the other accounts' records interleave.)
- Records after the ledger's last checkpoint cannot be proven and are left out (counted as
  `left_unsigned`); close the ledger, or wait for its next checkpoint, to include them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from distillguard.errors import LedgerError
from distillguard.events import format_ts
from distillguard.forensics.ledger_files import ledger_files
from distillguard.forensics.ledger_format import Checkpoint, Stub
from distillguard.forensics.ledger_slice import SliceRules
from distillguard.forensics.ledger_walk import LedgerWalk
from distillguard.forensics.signing import Verifier


@dataclass(frozen=True)
class ExportSummary:
    out: Path
    records: int  # records kept
    omitted: int  # records left out, as stubs
    stubs: int
    checkpoints: int
    last_seq: int  # the checkpoint the export ends with
    left_unsigned: int  # records that fit but came after the ledger's last checkpoint


class _ExportWalk(LedgerWalk):
    """Checks the ledger while writing what the rules keep, up to the last checkpoint."""

    def __init__(self, verifier: Verifier | None, rules: SliceRules, out: IO[bytes]) -> None:
        super().__init__(verifier)
        self.keep = rules
        self.out = out
        self.pending: list[bytes] = []  # lines since the last checkpoint written
        self.pending_records = 0
        self.pending_omitted = self.pending_stubs = 0
        self.run = 0  # records left out since the last line kept
        self.run_hash = ""
        self.run_last = 0
        self.kept = self.left_out = self.stubs = self.kept_checkpoints = self.last_kept = 0

    def on_record(
        self, seq: int, digest: str, raw: bytes, event: dict[str, Any], path: str, line: int
    ) -> None:
        if self.export is not None:
            raise LedgerError(f"{path} is an export already; export from the ledger folder")
        if self.keep.includes(event, path, line):
            self._close_run()
            self.pending.append(raw + b"\n")
            self.pending_records += 1
        else:
            self.run, self.run_hash, self.run_last = self.run + 1, digest, seq

    def on_checkpoint(self, cp: Checkpoint, raw: bytes) -> None:
        if not self.pending_records:
            return  # nothing kept since the last checkpoint written: fold it into the stub
        self._close_run()
        self.out.writelines(self.pending)
        self.out.write(raw + b"\n")
        self.kept += self.pending_records
        self.left_out += self.pending_omitted
        self.stubs += self.pending_stubs
        self.kept_checkpoints += 1
        self.last_kept = cp.seq
        self.pending, self.pending_records = [], 0
        self.pending_omitted = self.pending_stubs = 0

    def _close_run(self) -> None:
        if self.run:
            self.pending.append(Stub(self.run_last, self.run_hash, self.run).to_line())
            self.pending_omitted += self.run
            self.pending_stubs += 1
            self.run = 0


def export_ledger(
    ledger: Path,
    out: Path,
    *,
    account: str | None = None,
    since: float | None = None,
    until: float | None = None,
    verifier: Verifier | None = None,
) -> ExportSummary:
    """Write the records of `ledger` that fit (all by default) to `out`, with their proofs.

    The ledger is checked on the way (signatures too when `verifier` is given): a broken one
    raises `LedgerTamperedError` and leaves no `out`.
    """
    rules = SliceRules(account, since, until)
    files = ledger_files(ledger)
    header = {
        "version": 1,
        "source": str(ledger),
        **rules.header(),
        "created": format_ts(time.time()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "wb", buffering=1 << 20) as fh:
            fh.write(orjson.dumps({"export": header}) + b"\n")
            walk = _ExportWalk(verifier, rules, fh)
            walk.walk(files)
            end = {
                "records": walk.kept,
                "omitted": walk.left_out,
                "last_seq": walk.last_kept,
                "checkpoints": walk.kept_checkpoints,
            }
            fh.write(orjson.dumps({"end": end}) + b"\n")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(
        out=out,
        records=walk.kept,
        omitted=walk.left_out,
        stubs=walk.stubs,
        checkpoints=walk.kept_checkpoints,
        last_seq=walk.last_kept,
        left_unsigned=walk.pending_records,
    )


def export_slice(
    ledger_path: Path, account: str, out_path: Path, *, verifier: Verifier | None = None
) -> ExportSummary:
    """One account's records with the proofs that they are in the ledger (see the module)."""
    return export_ledger(ledger_path, out_path, account=account, verifier=verifier)
