"""The tamper-evident ledger: every event hash-chained, the chain signed at checkpoints.

    with Ledger(Path("ledger"), load_signer(Path("ledger.key"))) as ledger:
        ledger.append(event)          # a dict of docs/events.md, ts already formatted
    report = verify_ledger(Path("ledger"), load_verifier(Path("ledger.key.pub")))

Format (version 1), decided here and relied on by `verify` and `export`:

- **Records**: JSONL lines `{"seq", "prev", "hash", "event"}`. `seq` counts from 1 with no
  gaps; `event` is stored in canonical form (see `canonical`: orjson, keys sorted, compact);
  `hash = SHA-256(prev ‖ seq as 8 bytes big-endian ‖ canonical(event))` as 64 hex digits, and
  `prev` is the previous record's hash, 64 zeros (the genesis) for record 1. The chain runs
  over the stored form, so with `prompts = "hashed"` (see `ledger_privacy`) it covers the
  keyed hashes and verification needs no secret.
- **Checkpoints**: `{"checkpoint": {"seq", "hash", "ts", "key_id"}, "sig"}` right after record
  `seq`, `hash` being that record's, `ts` the signing time (RFC 3339), `sig` base64 Ed25519
  over `DOMAIN ‖ canonical(checkpoint)` (see `signing`). Written after `checkpoint_every`
  records or `checkpoint_interval_s` seconds (whichever first, checked at each append: an idle
  ledger signs at its next event), at each file rotation, at close, and on reopening a ledger
  whose last records were never signed (a crash), once they are checked to chain from the
  last checkpoint (see `ledger_tail`: a tail that does not chain is reported, not signed).
- **Files**: `ledger-NNNNNN.jsonl` in one folder, a new file once one passes `rotate_bytes`;
  the chain goes on across files. `ledger.head` holds a copy of the latest checkpoint.
- **What is detected**: any edit, deletion, reordering or insertion of records up to the
  last signed checkpoint, with the first bad record number and file:line; an edited or
  foreign-key checkpoint; the loss of the tail up to the checkpoint that `ledger.head` (or a
  copy kept elsewhere) names. Records after the last checkpoint are only chained, not signed:
  whoever can write the files can cut or rewrite that unsigned tail without a trace, and can
  cut the tail *and* replace the head with an older one; that is why the head (or the
  checkpoints) should also be copied off the machine.

A ledger folder is written by one process at a time (a lock file says so); the folder is
created 0700 and its files 0600, readable by the gateway's user only. The ledger is not
fsynced: a process crash loses nothing that `flush` handed to the system, a power cut may
lose the last second of records (then `verify` names the first record missing).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from distillguard.errors import LedgerError, LedgerFormatError
from distillguard.events import format_ts
from distillguard.events.writer import open_private, private_dir
from distillguard.forensics.canonical import GENESIS, GENESIS_HEX, canonical, chain_hash
from distillguard.forensics.ledger_files import file_name, file_number, ledger_files, write_head
from distillguard.forensics.ledger_format import Checkpoint, record_line
from distillguard.forensics.ledger_privacy import PromptHasher
from distillguard.forensics.ledger_tail import read_tail
from distillguard.forensics.signing import Signer, load_signer

if TYPE_CHECKING:
    from distillguard.settings import LedgerSettings

log = logging.getLogger("distillguard.forensics.ledger")

_FLUSH_S = 1.0  # records reach the operating system at least this often


class Ledger:
    """Appends events to a ledger folder, continuing the chain already there."""

    def __init__(
        self,
        folder: Path,
        signer: Signer,
        *,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 60.0,
        rotate_bytes: int = 256 << 20,
        hasher: PromptHasher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval_s = checkpoint_interval_s
        self.rotate_bytes = rotate_bytes
        self.hasher = hasher
        self._clock = clock
        private_dir(folder)  # records hold account ids and prompt hashes: owner only
        self._lock: IO[bytes] | None = _lock(folder)
        self._fh: IO[bytes] | None = None
        self._number = 0
        self._size = 0
        self.seq = 0
        self._last = GENESIS
        self.last_hash = GENESIS_HEX
        self.signed_seq = 0
        self.checkpoints = 0
        self._signed_at = self._flushed_at = time.monotonic()
        try:
            self._resume()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_settings(cls, settings: LedgerSettings) -> Ledger:
        if settings.key_file is None:
            raise LedgerError("ledger.key_file is not set; create a key with `ledger keygen`")
        secret = settings.prompt_secret
        hasher = None
        if settings.prompts == "hashed" and secret is not None:
            hasher = PromptHasher(secret.get_secret_value().encode("utf-8"))
        return cls(
            settings.dir,
            load_signer(settings.key_file),
            checkpoint_every=settings.checkpoint_every,
            checkpoint_interval_s=settings.checkpoint_interval_s,
            rotate_bytes=settings.rotate_bytes,
            hasher=hasher,
        )

    def append(self, event: Mapping[str, Any]) -> int:
        """Add one event; returns its record number."""
        stored = self.hasher.apply(event) if self.hasher is not None else event
        canon = canonical(stored)
        seq = self.seq + 1
        digest = chain_hash(self._last, seq, canon)
        digest_hex = digest.hex()
        line = record_line(seq, self.last_hash, digest_hex, canon)
        if self._fh is None or self._size >= self.rotate_bytes:
            self._rotate()
        assert self._fh is not None
        self._fh.write(line)
        self._size += len(line)
        self.seq, self._last, self.last_hash = seq, digest, digest_hex
        now = time.monotonic()
        if seq - self.signed_seq >= self.checkpoint_every or (
            self.checkpoint_interval_s and now - self._signed_at >= self.checkpoint_interval_s
        ):
            self.checkpoint()
        elif now - self._flushed_at >= _FLUSH_S:
            self.flush()
        return seq

    def checkpoint(self) -> Checkpoint | None:
        """Sign the chain up to the last record; None if that is signed already."""
        if self.seq == self.signed_seq or self._fh is None:
            return None
        cp = Checkpoint.signed(self.signer, self.seq, self.last_hash, format_ts(self._clock()))
        line = cp.to_line()
        self._fh.write(line)
        self._size += len(line)
        self.flush()  # the records before the head that names them
        write_head(self.folder, line)
        self.signed_seq = self.seq
        self.checkpoints += 1
        self._signed_at = time.monotonic()
        return cp

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        """Sign what is unsigned and close the files. The ledger can be opened again later."""
        if self._fh is not None:
            self.checkpoint()
            self._fh.close()
            self._fh = None
        if self._lock is not None:
            self._lock.close()  # closing the descriptor releases the lock
            self._lock = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rotate(self) -> None:
        if self._fh is not None:
            self.checkpoint()
            self._fh.close()
        self._number += 1
        self._open(self.folder / file_name(self._number))

    def _open(self, path: Path) -> None:
        self._fh = open_private(path, append=True, buffering=1 << 16)  # held until close
        self._size = self._fh.tell()

    def _resume(self) -> None:
        """Carry on from the folder's last record, once the unsigned tail checked out."""
        files = ledger_files(self.folder)
        if not files:
            return
        tail = read_tail(self.folder, files)  # raises, changing nothing, if the tail is bad
        path = files[-1]
        size = path.stat().st_size
        if tail.complete < size:
            log.warning(
                "ledger %s: dropping %d bytes of a cut last line", path, size - tail.complete
            )
            os.truncate(path, tail.complete)
        self._number = file_number(path)
        self.seq, self.last_hash, self.signed_seq = tail.seq, tail.last_hash, tail.signed_seq
        self._last = bytes.fromhex(tail.last_hash)
        self._open(path)
        if self.seq > self.signed_seq:
            log.warning(
                "ledger %s: records %d..%d were never signed (a crash?); they chain from the "
                "last checkpoint, signing them now",
                self.folder,
                self.signed_seq + 1,
                self.seq,
            )
            self.checkpoint()


def _lock(folder: Path) -> IO[bytes]:
    fh = open_private(folder / "ledger.lock", append=True)  # held while the ledger is open
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise LedgerError(
            f"ledger {folder} is open in another process; give each writer its own folder"
        ) from None
    return fh


def open_ledger(settings: LedgerSettings) -> Ledger:
    """The ledger that `[ledger]` describes, continuing the chain already in its folder."""
    try:
        return Ledger.from_settings(settings)
    except LedgerFormatError as err:
        raise LedgerError(f"cannot continue the ledger in {settings.dir}: {err}") from None
