"""`verify_ledger`: check a ledger folder, one of its files, or an export; report what holds.

A folder is checked from record 1 (the genesis) through its last file, then held to its
`ledger.head` (or to `head=`, a copy of a head kept elsewhere): a ledger that ends before the
record the head signed was cut. An export is checked the same way, its omitted records taken
from their stubs, and must close with its end line. A single file of a folder other than the
first cannot be checked alone (its chain starts in the file before): verify the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import LedgerError, LedgerTamperedError
from distillguard.forensics.ledger_files import HEAD_NAME, ledger_files
from distillguard.forensics.ledger_format import Checkpoint, load_line, parse_checkpoint
from distillguard.forensics.ledger_walk import LedgerWalk
from distillguard.forensics.signing import Verifier


@dataclass(frozen=True)
class VerifyReport:
    """What a verification found: counts and the last signed position, or the first problem."""

    path: str
    records: int  # records whose content was checked
    omitted: int  # records an export holds only as hash stubs
    last_seq: int
    checkpoints: int
    signed: Checkpoint | None  # the last checkpoint that verified
    head: Checkpoint | None  # the signed head the ledger was held to
    export: dict[str, Any] | None  # an export's first line
    problem: LedgerTamperedError | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def unsigned(self) -> int:
        """Records after the last checkpoint: chained, but not provable yet."""
        return self.last_seq - (self.signed.seq if self.signed else 0)

    def summary(self) -> str:
        """One line: the problem, or what was checked and the last signed position."""
        if self.problem is not None:
            return f"ledger NOT OK: {self.problem}"
        parts = [f"{self.records:,} records"]
        if self.omitted:
            parts.append(f"{self.omitted:,} omitted (hash stubs)")
        if self.export is not None and self.export.get("account"):
            parts.append(f"account {self.export['account']}")
        parts.append(f"{self.checkpoints:,} checkpoints")
        if self.signed is not None:
            s = self.signed
            parts.append(f"last signed position: record {s.seq:,} at {s.ts} (key {s.key_id})")
        if self.unsigned:
            parts.append(f"{self.unsigned:,} records after it not signed yet")
        if self.head is None and self.export is None:
            parts.append(f"no {HEAD_NAME} to check the tail against")
        kind = "export" if self.export is not None else "ledger"
        return f"{kind} OK: {self.path}: " + "; ".join(parts)


class _HeadWalk(LedgerWalk):
    """Notes the hash and place of the record that a head checkpoint names."""

    def __init__(self, verifier: Verifier, head_seq: int) -> None:
        super().__init__(verifier)
        self.head_seq = head_seq
        self.at_head: tuple[str, int, str] | None = None  # file, line, hash

    def on_record(
        self, seq: int, digest: str, raw: bytes, event: dict[str, Any], path: str, line: int
    ) -> None:
        if seq == self.head_seq:
            self.at_head = (path, line, digest)


def read_head(path: Path, verifier: Verifier) -> Checkpoint:
    """The checkpoint in a head file, checked against the public key."""
    raw = path.read_bytes().rstrip(b"\n")
    try:
        obj = load_line(raw, str(path), 1)
        if "checkpoint" not in obj:
            raise LedgerTamperedError(str(path), 1, 0, "the head is not a checkpoint line")
        head = parse_checkpoint(obj, str(path), 1)
    except LedgerError as err:
        raise LedgerTamperedError(str(path), 1, 0, f"the head is not a checkpoint: {err}") from None
    if head.key_id != verifier.key_id or not head.verifies(verifier):
        raise LedgerTamperedError(
            str(path),
            1,
            head.seq,
            f"the head's signature does not verify with key {verifier.key_id} (it names "
            f"{head.key_id}): the head was edited or signed by another key",
        )
    return head


def verify_ledger(path: Path, verifier: Verifier, *, head: Path | None = None) -> VerifyReport:
    """Check the ledger at `path` (a folder or a file); the report holds the first problem."""
    files = ledger_files(path)
    if head is None and path.is_dir() and (path / HEAD_NAME).is_file():
        head = path / HEAD_NAME
    walk: _HeadWalk | None = None
    signed_head: Checkpoint | None = None
    problem: LedgerTamperedError | None = None
    try:
        signed_head = read_head(head, verifier) if head is not None else None
        walk = _HeadWalk(verifier, signed_head.seq if signed_head else -1)
        walk.walk(files)
        _check_end(walk, signed_head, head)
    except LedgerTamperedError as err:
        problem = err
    if walk is None:
        walk = _HeadWalk(verifier, -1)
    return VerifyReport(
        path=str(path),
        records=walk.records,
        omitted=walk.omitted,
        last_seq=walk.seq,
        checkpoints=walk.checkpoints,
        signed=walk.signed,
        head=signed_head,
        export=walk.export,
        problem=problem,
    )


def _check_end(walk: _HeadWalk, head: Checkpoint | None, head_path: Path | None) -> None:
    """What only the end shows: a cut tail, an export without its end line, nothing signed."""
    end_path, end_line = walk.end_at
    if head is not None:
        if head.seq > walk.seq:
            walk.bad(
                end_path,
                end_line,
                f"the ledger ends after record {walk.seq} but its signed head ({head_path}) "
                f"covers record {head.seq}: records {walk.seq + 1}..{head.seq} were cut off",
            )
        if walk.at_head is not None and walk.at_head[2] != head.hash:
            at_path, at_line, _ = walk.at_head
            walk.bad(
                at_path,
                at_line,
                f"the chain up to here is not the one the signed head ({head_path}) covers: "
                "records up to this one were rewritten",
                head.seq,
            )
    if walk.export is not None and not walk.ended:
        walk.bad(
            end_path,
            end_line,
            f"the export stops after record {walk.seq} without its end line: the file was cut",
        )
    if walk.seq > 0 and walk.signed is None:
        walk.bad(end_path, end_line, f"no checkpoint signs any of the {walk.seq} records", 1)
