"""Where a ledger's lines live: numbered files in one folder, and the signed head beside them.

A ledger folder holds `ledger-000001.jsonl`, `ledger-000002.jsonl`, ... (a new file past a
size; the chain runs on from one file into the next) and `ledger.head`, a copy of the latest
checkpoint line, replaced atomically after each checkpoint. The head is what lets `verify`
notice that the tail of the ledger was cut off, checkpoints and all; keep a copy of it (or of
checkpoints) elsewhere to make that hold against someone who can also replace the head.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from distillguard.errors import InputNotFoundError
from distillguard.events.writer import open_private

HEAD_NAME = "ledger.head"
_FILE = re.compile(r"ledger-(\d{6,})\.jsonl")
_BLOCK = 1 << 16


def file_name(number: int) -> str:
    return f"ledger-{number:06d}.jsonl"


def file_number(path: Path) -> int:
    match = _FILE.fullmatch(path.name)
    return int(match.group(1)) if match else 0


def ledger_files(path: Path) -> list[Path]:
    """The files of a ledger folder in chain order, or `[path]` for one file."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputNotFoundError(str(path), "ledger")
    return sorted((p for p in path.iterdir() if _FILE.fullmatch(p.name)), key=file_number)


def read_lines(path: Path, start: int = 0, first: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line without its newline) of every line of a file.

    From byte `start` on (the beginning of a line, numbered `first`), if given.
    """
    with open(path, "rb", buffering=1 << 20) as fh:
        fh.seek(start)
        for number, raw in enumerate(fh, start=first):
            yield number, raw.rstrip(b"\n")


def last_lines(path: Path, wanted: int) -> tuple[list[bytes], int]:
    """Up to `wanted` last complete lines of a file, and the size up to the last newline.

    Reads backwards in blocks, so reopening a large ledger costs a few reads. Bytes after the
    last newline are a line that a crash cut short; the caller decides what to do with them.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        data = b""
        start = size
        while start > 0:
            start = max(0, start - _BLOCK)
            fh.seek(start)
            data = fh.read(size - start)
            complete = data[: data.rfind(b"\n") + 1]
            if complete.count(b"\n") > wanted or start == 0:
                break
    end = data.rfind(b"\n") + 1
    complete_size = start + end
    lines = data[:end].split(b"\n")[:-1]
    if start > 0:
        lines = lines[1:]  # the first one may begin before the block
    return lines[-wanted:], complete_size


def write_head(folder: Path, line: bytes) -> None:
    """Replace the head with `line`, so that a reader sees the old head or the new, never half.

    Not fsynced (a checkpoint every second would cost an fsync each): after a power cut the
    head may be ahead of the ledger on disk, and `verify` then reports the lost records.
    """
    tmp = folder / (HEAD_NAME + ".tmp")
    with open_private(tmp) as fh:  # 0600 like the ledger; os.replace keeps the mode
        fh.write(line)
    os.replace(tmp, folder / HEAD_NAME)
