"""One pass over a ledger in chain order, checking each line; `verify` and `export` both make it.

Each record's hash is recomputed from its predecessor's and its canonical event; record
numbers must run on with no gap, repeat or reversal; each checkpoint must be signed by the
given key and match the chain where it stands. The first problem raises `LedgerTamperedError`
with the record number, file and line, worded after the likeliest cause:

- a record whose content does not give its hash: that record was edited;
- an intact record chained to another version of the one before: that one was edited and
  rehashed (named), or something was inserted between them;
- a record number past the one expected: the one expected was deleted or moved (a swap of two
  records shows as the first of them missing at its place);
- a record number repeated by a record chained to the same predecessor: the first of the two
  was inserted (a forged record takes the next number; the genuine one follows it).

Subclasses see each record and checkpoint after it checked out (`on_record`, `on_checkpoint`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, NoReturn

import orjson

from distillguard.errors import LedgerFormatError, LedgerTamperedError
from distillguard.forensics.canonical import GENESIS, GENESIS_HEX
from distillguard.forensics.ledger_files import read_lines
from distillguard.forensics.ledger_format import (
    Checkpoint,
    check_record,
    line_kind,
    load_line,
    parse_checkpoint,
    parse_stub,
)
from distillguard.forensics.ledger_slice import SliceRules
from distillguard.forensics.signing import Verifier

_SORT = orjson.OPT_SORT_KEYS


class LedgerWalk:
    """Walks ledger files in order, checking as it goes; raises at the first problem."""

    def __init__(self, verifier: Verifier | None) -> None:
        self.verifier = verifier  # None: the chain is checked, signatures are not
        self.seq = 0  # the last record (or stub) seen
        self.last_raw = GENESIS
        self.last_hex = GENESIS_HEX
        self.last_prev: str | None = None  # the prev of the last record
        self.where = ("", 0)  # file and line of the last record or stub
        self.records = self.omitted = self.checkpoints = 0
        self.signed: Checkpoint | None = None
        self.export: dict[str, Any] | None = None  # an export's first line
        self.rules: SliceRules | None = None
        self.ended = False
        self.end_at = ("", 0)  # file and line after the last line

    def on_record(
        self, seq: int, digest: str, raw: bytes, event: dict[str, Any], path: str, line: int
    ) -> None:
        """Called for each record once it checked out."""

    def on_checkpoint(self, cp: Checkpoint, raw: bytes) -> None:
        """Called for each checkpoint once it checked out."""

    def walk(self, files: list[Path]) -> None:
        single = len(files) == 1
        for path in files:
            name, number = str(path), 0
            for number, raw in read_lines(path):
                try:
                    self._line(raw, name, number, single)
                except LedgerFormatError as err:
                    field = f"field '{err.field}' " if err.field else ""
                    self.bad(name, number, f"{field}{err.problem}")
            self.end_at = (name, number + 1)

    def bad(self, path: str, line: int, problem: str, seq: int | None = None) -> NoReturn:
        raise LedgerTamperedError(path, line, self.seq + 1 if seq is None else seq, problem)

    def _line(self, raw: bytes, path: str, line: int, single: bool) -> None:
        if self.ended:
            self.bad(path, line, "a line after the export's end line: lines were appended")
        obj = load_line(raw, path, line)
        if "event" in obj:
            self._record(obj, raw, path, line)
            return
        kind = line_kind(obj)
        if kind == "checkpoint":
            self._checkpoint(parse_checkpoint(obj, path, line), raw, path, line)
        elif kind == "stub" and self.export is not None:
            self._stub(obj, path, line)
        elif kind == "export" and line == 1 and single and isinstance(obj["export"], dict):
            self.export = obj["export"]
            self.rules = SliceRules.of(obj["export"], path)
        elif kind == "end" and self.export is not None:
            self._end(obj, path, line)
        else:
            keys = ", ".join(sorted(obj)) or "none"
            self.bad(path, line, f"not a record or checkpoint of a ledger (fields: {keys})")

    def _record(self, obj: dict[str, Any], raw: bytes, path: str, line: int) -> None:
        seq, prev, digest, event = obj.get("seq"), obj.get("prev"), obj.get("hash"), obj["event"]
        shaped = len(obj) == 4 and type(seq) is int and type(prev) is str
        if not (shaped and type(digest) is str and type(event) is dict):
            seq, prev, digest, event = check_record(obj, path, line)
        assert isinstance(seq, int) and isinstance(prev, str) and isinstance(digest, str)
        if seq != self.seq + 1:
            self._out_of_place(seq, prev, path, line)
        canon = orjson.dumps(event, option=_SORT)
        if prev != self.last_hex:
            self._broken_link(seq, prev, digest, canon, path, line)
        mine = hashlib.sha256(self.last_raw + seq.to_bytes(8, "big") + canon).digest()
        if mine.hex() != digest:
            self.bad(path, line, "its content does not match its hash: the record was edited")
        if self.rules is not None:
            misfit = self.rules.misfit(event, path, line)
            if misfit:
                self.bad(path, line, misfit)
        self.on_record(seq, digest, raw, event, path, line)
        self.seq, self.last_raw, self.last_hex, self.last_prev = seq, mine, digest, prev
        self.records += 1
        self.where = (path, line)

    def _out_of_place(self, seq: int, prev: str, path: str, line: int) -> NoReturn:
        want = self.seq + 1
        if seq == self.seq and prev == self.last_prev:
            first_path, first_line = self.where
            self.bad(
                first_path,
                first_line,
                f"record {seq} appears twice (here and at {path}:{line}), both chained to "
                f"record {seq - 1}: this one was inserted",
                seq,
            )
        if seq > want:
            span = f"{want}" if seq == want + 1 else f"{want}..{seq - 1}"
            self.bad(
                path,
                line,
                f"expected record {want} here but found record {seq}: record {span} was "
                "deleted or moved",
            )
        self.bad(
            path,
            line,
            f"expected record {want} here but found record {seq} (again): records were "
            "reordered or one was inserted",
        )

    def _broken_link(
        self, seq: int, prev: str, digest: str, canon: bytes, path: str, line: int
    ) -> NoReturn:
        own = hashlib.sha256(bytes.fromhex(prev) + seq.to_bytes(8, "big") + canon).hexdigest()
        if own == digest and self.seq > 0:
            # This record is intact and was chained to another version of the one before it.
            before_path, before_line = self.where
            self.bad(
                before_path,
                before_line,
                f"its hash is not the one record {seq} ({path}:{line}) was chained to: the "
                "record was edited and its hash rewritten, or it was inserted",
                self.seq,
            )
        self.bad(
            path,
            line,
            f"its prev is not the hash of record {self.seq}: the record was edited, or records "
            "before it were deleted or inserted",
        )

    def _checkpoint(self, cp: Checkpoint, raw: bytes, path: str, line: int) -> None:
        at = f"the checkpoint after record {self.seq}"
        if self.verifier is not None:
            if cp.key_id != self.verifier.key_id:
                self.bad(
                    path,
                    line,
                    f"{at} names key {cp.key_id}, not the public key given "
                    f"({self.verifier.key_id}): it was signed by another key",
                    self.seq,
                )
            if not cp.verifies(self.verifier):
                self.bad(
                    path,
                    line,
                    f"{at} has a signature that does not verify: the checkpoint was edited or "
                    "signed by another key",
                    self.seq,
                )
        if cp.seq != self.seq:
            self.bad(path, line, f"{at} says it covers record {cp.seq}: it was moved", self.seq)
        if cp.hash != self.last_hex:
            before = self.signed.seq if self.signed else 0
            self.bad(
                path,
                line,
                f"{at} signed another hash: records after record {before} (the checkpoint "
                "before) were rewritten",
                self.seq,
            )
        self.signed = cp
        self.checkpoints += 1
        self.on_checkpoint(cp, raw)

    def _stub(self, obj: dict[str, Any], path: str, line: int) -> None:
        stub = parse_stub(obj, path, line)
        if stub.first != self.seq + 1:
            self.bad(
                path,
                line,
                f"a stub for records {stub.first}..{stub.seq} where record {self.seq + 1} was "
                "expected: records were deleted or moved",
            )
        self.seq, self.last_hex, self.last_raw = stub.seq, stub.hash, bytes.fromhex(stub.hash)
        self.last_prev = None
        self.omitted += stub.omitted
        self.where = (path, line)

    def _end(self, obj: dict[str, Any], path: str, line: int) -> None:
        end = obj["end"] if isinstance(obj["end"], dict) else {}
        if end.get("last_seq") != self.seq or end.get("records") != self.records:
            self.bad(
                path,
                line,
                f"the end line says {end.get('records')} records up to record "
                f"{end.get('last_seq')}, the export holds {self.records} up to {self.seq}",
            )
        self.ended = True
