"""Which line of a TOML text holds a key, so a policy error can say where to look.

tomllib reports line numbers for syntax errors only; a value that parses but is refused
(`min_risk = 1.5`) comes back as a path of keys and indexes. `key_line` scans the text for
table headers (`[a.b]`, `[[a]]`, counting array elements) and `key = value` lines, and
returns the line of the deepest part of the path it can place:

    >>> key_line('mode = "x"\\n[[levels]]\\nname = "a"\\nwhen = { min_risk = 1.5 }\\n',
    ...          ("levels", 0, "when", 0, "min_risk"))
    4

Inside a multi-line array it takes the index-th element that starts a line. It is a scan,
not a parser: multi-line strings that look like keys can mislead it, and it then answers
with a line near the key, or None when it places nothing at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_PART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_ELEMENT = re.compile(r"^\s*[\[{\"'0-9+\-tf]")  # an array element starting its own line
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _depth_change(line: str) -> int:
    """How many brackets the line leaves open: inside a multi-line array, `["a"]` is no header."""
    code = _STRING.sub("", line).split("#", 1)[0]
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def _parts(dotted: str) -> list[str]:
    return [_unquote(p) for p in re.findall(_PART, dotted)]


def _unquote(part: str) -> str:
    if part[0] == "'":
        return part[1:-1]
    if part[0] == '"':
        try:
            return str(json.loads(part))  # TOML's basic-string escapes are JSON's, but \U
        except ValueError:
            return part[1:-1]
    return part


class _Scan:
    """Where each table and key of the text starts (1-based lines), by resolved path."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.where: dict[Path, int] = {}
        self.key_lines: set[int] = set()  # lines of `key = value`, not of headers
        self.header_lines: set[int] = set()
        self._count: dict[Path, int] = {}  # elements seen of each array of tables
        table: Path = ()
        depth = 0
        for no, line in enumerate(lines, start=1):
            inside, depth = depth > 0, max(0, depth + _depth_change(line))
            if inside:
                continue
            header = _HEADER.match(line)
            if header:
                table = self._table(_parts(header[2]), array=header[1] == "[[")
                self.header_lines.add(no)
                for n in range(1, len(table) + 1):  # `[a.b]` first mentions `a` too
                    self.where.setdefault(table[:n], no)
                continue
            key = _KEY.match(line)
            if key:
                self.key_lines.add(no)
                path = table
                for part in _parts(key[1]):
                    path = (*path, part)
                    self.where.setdefault(path, no)

    def _table(self, parts: list[str], *, array: bool) -> Path:
        path: Path = ()
        for i, part in enumerate(parts):
            path = (*path, part)
            if array and i == len(parts) - 1:
                n = self._count.get(path, 0)
                self._count[path] = n + 1
                path = (*path, n)
            elif path in self._count:  # `[levels.actions]` belongs to the latest [[levels]]
                path = (*path, self._count[path] - 1)
        return path

    def end_of_value(self, start: int) -> int:
        """The last line of the value that begins on line `start`."""
        end = start
        for no in range(start + 1, len(self.lines) + 1):
            if no in self.key_lines or no in self.header_lines:
                break
            end = no
        return end

    def refine(self, line: int, rest: Path) -> int:
        """Follow the rest of the path into the value of the key on `line`."""
        end = self.end_of_value(line)
        for part in rest:
            if isinstance(part, int):
                starts = [n for n in range(line + 1, end + 1) if _ELEMENT.match(self.lines[n - 1])]
                if part < len(starts):
                    line = starts[part]
                continue
            key = re.compile(rf"(?:^|[{{,\s]){re.escape(part)}\s*=")
            found = next((n for n in range(line, end + 1) if key.search(self.lines[n - 1])), None)
            if found is None:
                break
            line = found
        return line


def key_line(text: str, path: Path) -> int | None:
    """The 1-based line where `path` (keys and array indexes) is written, or its nearest table."""
    scan = _Scan(text.splitlines())
    for depth in range(len(path), 0, -1):
        line = scan.where.get(path[:depth])
        if line is None:
            continue
        if depth < len(path) and line in scan.key_lines:
            return scan.refine(line, path[depth:])
        return line
    return None
