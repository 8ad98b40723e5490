"""Cheap text signals of one prompt: stable hashes, template skeleton, SimHash, intent cues.

Pure functions of strings. Cue patterns expect lowercased text (4x faster than
IGNORECASE). Hashes are stable across processes (crc32/blake2b, never the
salted built-in `hash`) because detector state is saved and merged between runs.

Everything here runs once or more per event (benchmarks/detection/throughput.py), so
several functions are written for speed rather than the most obvious form; each says
what it is equivalent to, and tests/detect/test_text_equivalence.py holds them to it.
"""

from __future__ import annotations

import re
import struct
import zlib
from hashlib import blake2b
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy.typing as npt

_DIGITS = re.compile(r"\d+")
# A `Label:` line head (see `skeleton`), matched line by line.
_LABEL = re.compile(r"\s*([A-Za-z][A-Za-z ]{0,24}):")
_MAX_GRAMS = 64
# bytes.translate table of `words`: [a-z0-9'] stay, every other byte becomes a space.
_WORD_BYTES = bytes(
    c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789'" else 32 for c in range(256)
)

# The cue patterns are grouped by first letter: one alternative per letter lets the regex
# engine skip quickly past positions that cannot start a match (a fifth faster than a
# flat list of phrases). A `\b` before a phrase is written as a look-behind after its first
# letter, `r(?<!\w.)` for `\br`, for the same reason; the two are equal because every
# phrase starts with a word character. Only whether a pattern matches is used.
COT = re.compile(
    r"s(?:tep[- ]by[- ]step|how (?:your|all|the) (?:work|steps|reasoning))"
    r"|e(?:xplain (?:(?:your|the) reasoning|each step|(?:why|how) you))"
    r"|j(?:ustif(?:y|ication))"
    r"|t(?:hink (?:carefully|through|it through|like you))"
    r"|c(?:hain[- ]of[- ]thought)"
    r"|l(?:et'?s think)"
    r"|r(?:eason (?:through|about it)|ationale)"
    r"|w(?:alk me through)"
    r"|d(?:etailed explanation)",
)
RUBRIC = re.compile(
    r"r(?<!\w.)(?:ubric\b|ate (?:the|this|each|these|following)\b)"
    r"|o(?<!\w.)(?:n a scale of\b|ne to (?:5|10|ten|five)\b)"
    r"|1(?<!\w.) to (?:5|10|ten|five)\b"
    r"|s(?<!\w.)core (?:the|this|each)\b"
    r"|g(?<!\w.)rade (?:the|this|each)\b"
    r"|w(?<!\w.)hich (?:response|answer|assistant) is better\b"
    r"|j(?<!\w.)udge\b"
    r"|e(?<!\w.)valuate the (?:following |quality )?(?:response|answer)",
)
AGENT = re.compile(
    r"y(?<!\w.)ou (?:are|act as) an? (?:autonomous |coding |software )?agent\b"
    r"|a(?<!\w.)(?:vailable tools\b|ction:)"
    r"|t(?<!\w.)hought:"
    r"|o(?<!\w.)bservation:"
    r"|f(?<!\w.)unction call",
)
# Word prefilters: a set check against the prompt's words is far cheaper than running
# an alternation regex (~6 us each on a typical prompt) that will not match anyway.
_PREFILTER: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    (
        "cot",
        COT,
        frozenset(
            "step steps reason reasoning justify justification think chain walk detailed "
            "rationale explain show let's lets".split()
        ),
    ),
    (
        "rubric",
        RUBRIC,
        frozenset("rubric scale rate score grade better judge evaluate".split()),
    ),
    ("agentic", AGENT, frozenset("agent tools thought action observation function".split())),
)


def cues(lowered: str, vocab: set[str] | None = None) -> set[str]:
    """Which of 'cot', 'rubric', 'agentic' the lowercased text asks for.

    `vocab`, the text's words when the caller has them already, saves a tokenisation.

    >>> sorted(cues("rate the following answer. think step by step."))
    ['cot', 'rubric']
    """
    words_in = vocab if vocab is not None else set(words(lowered))
    found = set()
    for name, pattern, keys in _PREFILTER:
        if not words_in.isdisjoint(keys) and pattern.search(lowered):
            found.add(name)
    return found


# Keyword sets, not regexes: a set lookup per word is ~20x cheaper than an alternation.
AREAS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(keys.split()))
    for name, keys in (
        (
            "code",
            "def function code python javascript java sql class return program algorithm "
            "regex compile bug debug array string integer",
        ),
        (
            "math",
            "calculate solve equation percent total sum many multiply divide fraction "
            "average probability",
        ),
        (
            "support",
            "card account order payment transfer refund package customer cancel "
            "subscription delivery charged",
        ),
        (
            "writing",
            "write compose draft essay poem story rewrite summarize summarise paraphrase "
            "blog email letter",
        ),
        ("classify", "classify category categorize sentiment extract label intent"),
        ("translate", "translate translation french spanish german"),
        ("qa", "who what when where which why"),
    )
)
# A digit, an operator and a digit, each gap at most one space: `\d ?[-+*/=] ?\d`, but
# opening on the operator, a set of five characters the scan can skip to, and looking back
# for the digit (a pattern that opens with `\d` is tried at every position, 3x slower).
_MATH_EXPR = re.compile(r"[-+*/=](?:(?<=\d.)|(?<=\d .)) ?\d")
# A line that opens with a choice label, "(a) " or "b. ": `^\(?[a-d][).:] ` in multiline
# mode, split in two because a pattern that starts with a literal "\n" scans fast.
_CHOICE_FIRST = re.compile(r"\(?[a-d][).:] ")
_CHOICE_LINE = re.compile(r"\n\(?[a-d][).:] ")
AREA_NAMES: tuple[str, ...] = ("grading", "choice", *(name for name, _ in AREAS), "other")


def stable_hash(text: str) -> int:
    """A 63-bit hash of `text` that is the same in every process."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def hash_bytes(data: bytes) -> int:
    """`stable_hash` of the text whose UTF-8 encoding is `data`."""
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little") >> 1


def words(lowered: str, limit: int = -1) -> list[str]:
    """The runs of [a-z0-9'] in the text, in order (what `re.findall("[a-z0-9']+")` gives).

    Every other character separates: non-ASCII ones become "?" on the way to bytes, and
    the translate table turns them and the rest into spaces. 3x faster than the regex.
    A `limit` stops the split there: the first `limit` items are the first words, and
    one more item holds the rest of the text if there is any (its words are never made).
    """
    spaced = lowered.encode("ascii", "replace").translate(_WORD_BYTES).decode("ascii")
    return spaced.split(None, limit)


def skeleton(text: str) -> str:
    """The fixed part of a templated prompt: its first words and its line labels.

    Digits are masked, and only the opening words and `Label:` line heads are kept,
    because templates put the variable slots (passages, questions) after a fixed
    instruction and between fixed labels.
    """
    first = text[:200].split("\n", 1)[0]
    if ":" in first:
        first = first.split(":", 1)[0]
    head = " ".join(words(_mask_digits(first.lower()), 6)[:6])
    return f"{head}|{','.join(_labels(text[:1500]))}"


def _mask_digits(s: str) -> str:
    """Each run of digits as "0". The regex scan costs more than the rest of `skeleton`, and
    most lines have no digit: in an ASCII line only 0-9 are digits, so deleting them and
    comparing lengths tells."""
    if s.isascii() and len(s.encode().translate(None, b"0123456789")) == len(s):
        return s
    return _DIGITS.sub("0", s)


def _labels(text: str) -> list[str]:
    """The first 8 `Label:` line heads, lowercased: `re.findall` of `^\\s*(label):` in
    multiline mode, but tried only at line starts. (There a `\\s*` that runs over blank
    lines finds the label of the line it stops on, the one this finds on that line.)"""
    out: list[str] = []
    if ":" not in text:  # a label ends in one; most prompts have none, and this is quick
        return out
    match = _LABEL.match
    for line in text.split("\n"):
        m = match(line)
        if m:
            out.append(m.group(1).lower().strip())
            if len(out) == 8:
                break
    return out


def simhash(tokens: list[str]) -> int:
    """32-bit SimHash of word unigrams and bigrams (Charikar 2002).

    32 bits and at most 64 grams keep it near 8 us: enough to tell near-duplicate
    prompts (distance under ~6) from unrelated ones (around 16).
    """
    half = tokens[: _MAX_GRAMS // 2]
    if not half:
        return 0
    encoded = list(map(str.encode, half))
    crcs = list(map(zlib.crc32, encoded))
    # The bigram "a b" hashes as crc32(b" " + b) continued from crc32(a), which equals
    # crc32("a b") (CRC-32 is computed incrementally) without building the string.
    crcs += map(zlib.crc32, map(b" ".__add__, encoded[1:]), crcs[:-1])
    # Bit i of the result is set when more than half the grams have bit i set; at most 63
    # grams, so a uint8 count cannot overflow.
    n = len(crcs)
    import numpy as np  # imported on first use: only the PRADA baseline reads SimHashes

    packed = np.frombuffer(struct.pack(f"<{n}I", *crcs), dtype=np.uint8)
    bits = np.unpackbits(packed, bitorder="little").reshape(n, 32)
    ones: npt.NDArray[np.uint8] = bits.sum(axis=0, dtype=np.uint8)
    majority = np.packbits(ones > n // 2, bitorder="little")
    return int.from_bytes(majority.tobytes(), "little")


def area(lowered: str, tokens: list[str], rubric: bool | None = None) -> str:
    """A coarse capability area from keyword cues; 'other' when none match.

    `lowered` is the lowercased prompt and `tokens` its `words`; `rubric` saves a
    search when the caller already knows whether the prompt asks for grading.
    """
    if rubric if rubric is not None else RUBRIC.search(lowered):
        return "grading"
    if _CHOICE_FIRST.match(lowered) or _CHOICE_LINE.search(lowered):
        return "choice"
    if _MATH_EXPR.search(lowered[:1500]):
        return "math"
    # Each keyword set tested against the word list itself: building a set of the words
    # would hash every one, while most prompts hit the first area at an early word.
    head = tokens if len(tokens) <= 300 else tokens[:300]
    for name, keys in AREAS:
        if not keys.isdisjoint(head):
            return name
    return "other"
