"""Where a reopened ledger stands, and whether the records a crash left unsigned still chain.

`read_tail` finds the last checkpoint and checks every record after it (the unsigned tail)
against the chain: record numbers run on from the checkpoint's with no gap, each `prev` is
the hash before it (for the first, the hash the checkpoint signed, or the genesis in a
ledger that has no checkpoint yet), and each `hash` is recomputed from `prev`, `seq` and the
stored event (with `prompts = "hashed"` the stored event holds the hashes: no secret needed).
The first record that does not chain raises `LedgerTailError` (file, line, record, what is
wrong); nothing is changed, so that whoever looks next sees what the crash, or someone, left.

What is read: after a clean close the last line of the last file (a checkpoint) and nothing
else; after a crash the last file line by line (once for its last checkpoint, then from
there), and when that file has none yet, the last line of the file before (a rotation signs
just before it starts the next file). Records before the last checkpoint are signed: they are
`verify`'s business. Bytes after the last file's last newline are a line the crash cut short:
they are left out here, and `complete` tells the writer where to cut them off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from distillguard.errors import LedgerFormatError, LedgerTailError
from distillguard.forensics.canonical import GENESIS_HEX, canonical, chain_hash
from distillguard.forensics.ledger_files import last_lines, read_lines
from distillguard.forensics.ledger_format import (
    Checkpoint,
    check_record,
    line_kind,
    load_line,
    parse_checkpoint,
)

_MARK = b'"checkpoint"'  # in every checkpoint line; a cheap filter before parsing


@dataclass(frozen=True, slots=True)
class Tail:
    """Where the chain of a ledger folder ends, once its unsigned tail checked out."""

    seq: int  # the last record (0: none yet)
    last_hash: str  # its hash
    signed_seq: int  # the last record a checkpoint signed
    complete: int  # the size of the last file up to its last newline


@dataclass(frozen=True, slots=True)
class _Anchor:
    """The signed position the unsigned tail chains from."""

    seq: int
    hash: str
    what: str  # for messages: "the last checkpoint (record 20, at FILE:LINE)"

    @property
    def signs(self) -> str:
        return "the genesis" if self.seq == 0 else f"the hash that {self.what} signed"


_GENESIS = _Anchor(0, GENESIS_HEX, "the genesis")


def read_tail(folder: Path, files: list[Path]) -> Tail:
    """Check the records after the last checkpoint of `files` (a folder's, in chain order)."""
    path = files[-1]
    lines, complete = last_lines(path, 1)
    if not lines:  # an empty last file (or one cut line): the chain ends in the file before
        anchor = _anchor_before(folder, files[:-1])
        return Tail(anchor.seq, anchor.hash, anchor.seq, complete)
    last = _checkpoint_or_none(lines[-1], str(path), 0)
    if last is not None:  # closed cleanly: the last line signs everything before it
        return Tail(last.seq, last.hash, last.seq, complete)
    found = _last_checkpoint(path, complete)
    if found is None:
        anchor, start, first = _anchor_before(folder, files[:-1]), 0, 1
    else:
        cp, line, start = found
        anchor, first = _Anchor(cp.seq, cp.hash, _checkpoint_at(cp, f"{path}:{line}")), line + 1
    return _TailCheck(folder, path, anchor).run(start, first, complete)


class _TailCheck:
    """Walks the records after the anchor, raising at the first that does not chain."""

    def __init__(self, folder: Path, path: Path, anchor: _Anchor) -> None:
        self.folder = folder
        self.name = str(path)
        self.path = path
        self.anchor = anchor
        self.seq = anchor.seq
        self.hash = anchor.hash

    def run(self, start: int, first: int, complete: int) -> Tail:
        end = start
        for number, raw in read_lines(self.path, start, first):
            end += len(raw) + 1
            if end > complete:
                break  # the cut last line: not a record, and dropped by the writer
            self._line(raw, number)
        return Tail(self.seq, self.hash, self.anchor.seq, complete)

    def _line(self, raw: bytes, number: int) -> None:
        want = self.seq + 1
        try:
            obj = load_line(raw, self.name, number)
        except LedgerFormatError as err:
            self._bad(number, want, f"not a record: {err.problem}")
        kind = line_kind(obj)
        if kind != "record":
            self._bad(number, want, f"not a record but a {kind} line")
        try:
            seq, prev, digest, event = check_record(obj, self.name, number)
        except LedgerFormatError as err:
            self._bad(number, want, f"not a record: field '{err.field}' {err.problem}")
        at_anchor = self.seq == self.anchor.seq
        if seq != want:
            after = self.anchor.what if at_anchor else f"record {self.seq}"
            self._bad(number, seq, f"seq gap: expected record {want} after {after}, found {seq}")
        if prev != self.hash:
            expected = (
                f"{_short(self.hash)}, {self.anchor.signs}"
                if at_anchor
                else f"{_short(self.hash)}, the hash of record {self.seq}"
            )
            self._bad(
                number,
                seq,
                f"prev mismatch: its prev is {_short(prev)}, not {expected}: the record was "
                "edited, or records before it were deleted or inserted",
            )
        mine = chain_hash(bytes.fromhex(prev), seq, canonical(event)).hex()
        if mine != digest:
            self._bad(
                number,
                seq,
                f"hash mismatch: its hash is {_short(digest)}, but its prev, seq and event hash "
                f"to {_short(mine)}: the record was edited",
            )
        self.seq, self.hash = seq, digest

    def _bad(self, line: int, seq: int | None, problem: str) -> NoReturn:
        raise LedgerTailError(self.name, line, seq, problem, str(self.folder))


def _last_checkpoint(path: Path, complete: int) -> tuple[Checkpoint, int, int] | None:
    """The last checkpoint of a file: itself, its line, and the offset after it."""
    found = None
    end = 0
    for number, raw in read_lines(path):
        end += len(raw) + 1
        if end > complete:
            break
        if _MARK in raw:  # most lines are records: parse only the likely checkpoints
            cp = _checkpoint_or_none(raw, str(path), number)
            if cp is not None:
                found = (cp, number, end)
    return found


def _anchor_before(folder: Path, files: list[Path]) -> _Anchor:
    """The last checkpoint of the files before the last, read from the end of the last one."""
    for path in reversed(files):
        size = path.stat().st_size
        if size == 0:
            continue  # a file opened and never written to
        lines, complete = last_lines(path, 1)
        cp = _checkpoint_or_none(lines[-1], str(path), 0) if lines else None
        if cp is not None and complete == size:
            return _Anchor(cp.seq, cp.hash, _checkpoint_at(cp, f"the end of {path}"))
        count = _count_lines(path)
        rotated = "a rotation signs the chain just before it starts the next file"
        if complete < size:
            problem = f"{path} ends with a cut line, not a checkpoint ({rotated})"
            raise LedgerTailError(str(path), count + 1, None, problem, str(folder))
        seq = _seq_of(_object_or_none(lines[-1]))
        what = f"record {seq}" if seq is not None else "a line that is not a checkpoint"
        problem = f"the file ends with {what}, not a checkpoint ({rotated})"
        raise LedgerTailError(str(path), count, seq, problem, str(folder))
    return _GENESIS


def _checkpoint_or_none(raw: bytes, path: str, line: int) -> Checkpoint | None:
    obj = _object_or_none(raw, path, line)
    if obj is None or line_kind(obj) != "checkpoint":
        return None
    try:
        return parse_checkpoint(obj, path, line)
    except LedgerFormatError:
        return None  # not one to chain from; a tail check reports it as not a record


def _object_or_none(raw: bytes, path: str = "", line: int = 0) -> dict[str, Any] | None:
    try:
        return load_line(raw, path, line)
    except LedgerFormatError:
        return None


def _seq_of(obj: dict[str, Any] | None) -> int | None:
    seq = obj.get("seq") if obj is not None else None
    return seq if type(seq) is int else None


def _checkpoint_at(cp: Checkpoint, where: str) -> str:
    return f"the last checkpoint (record {cp.seq}, at {where})"


def _count_lines(path: Path) -> int:
    """The number of newlines in a file (only to name a line in an error)."""
    count = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
    return count


def _short(digest: str) -> str:
    return digest[:16] + "…"
