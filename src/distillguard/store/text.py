"""Checks on the text people put into the store, so SQLite and PostgreSQL take the same values.

SQLite stores a 300-character name in a `String(200)` column and a NUL byte anywhere;
PostgreSQL refuses both (and psycopg refuses NUL before the server sees it). Checking here
gives one answer on both, naming the field, instead of whatever the backend does.

    >>> checked("name", "Acme Labs")
    'Acme Labs'
    >>> checked("name", "a\\x00b")
    Traceback (most recent call last):
    ...
    distillguard.errors.InvalidFieldError: name: holds the control character U+0000; remove it
"""

from __future__ import annotations

import re

from distillguard.errors import InvalidFieldError

SHORT_CHARS = 200  # the String(200) columns: account names, orgs, authors, assignees
LONG_CHARS = 20_000  # free text (comments, reasons): Text columns, capped to stay readable
# C0 and C1 controls, DEL, and lone surrogates (which UTF-8 cannot encode).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def checked(field: str, value: str, *, limit: int = SHORT_CHARS, multiline: bool = False) -> str:
    """`value`, if it fits `limit` characters and holds no control characters (line breaks and
    tabs allowed when `multiline`); otherwise an `InvalidFieldError` naming `field`."""
    if len(value) > limit:
        raise InvalidFieldError(
            field, f"is {len(value)} characters long; at most {limit} are allowed"
        )
    bad = (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value)
    if bad is not None:
        code = ord(bad.group())
        raise InvalidFieldError(field, f"holds the control character U+{code:04X}; remove it")
    return value
