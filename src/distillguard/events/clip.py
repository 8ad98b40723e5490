"""Cut oversized strings in an event, keeping a commitment to what was cut.

An event must stay small enough to log and to sign, whatever a client sends. A string longer
than the limit keeps its first `limit` characters and gains a marker with its full length and
the SHA-256 of its UTF-8 bytes, so that the ledger, which signs the event, still commits to the
original text and anyone holding it can show that it was this one:

    >>> clip_text("x" * 10, 4)[:40]
    'xxxx…[distillguard: cut, 10 chars, sha256'

Readers see an ordinary string (the event format is unchanged); `MARKER` tells a cut one.
"""

from __future__ import annotations

import hashlib
from typing import Any

MARKER = "…[distillguard: cut, "
_MAX_DEPTH = 64  # deeper than any real request; what lies below is kept as it is


def clip_text(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a marker of length and SHA-256."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[:limit]}{MARKER}{len(text)} chars, sha256 {digest}]"


def clip(value: Any, limit: int, depth: int = 0) -> Any:
    """`value` (JSON data) with every string longer than `limit` cut; a new object only
    where something was cut, so the common case costs one walk and no copies."""
    if isinstance(value, str):
        return clip_text(value, limit)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        pairs = [
            (clip_text(k, limit) if isinstance(k, str) else k, clip(v, limit, depth + 1))
            for k, v in value.items()
        ]
        same = all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True))
        return value if same else dict(pairs)
    if isinstance(value, list):
        items = [clip(v, limit, depth + 1) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
