"""Cheap text signals of one prompt: stable hashes, template skeleton, SimHash, intent cues.

Pure functions of strings. Cue patterns expect lowercased text (4x faster than
IGNORECASE). Hashes are stable across processes (crc32/blake2b, never the
salted built-in `hash`) because detector state is saved and merged between runs.
"""

from __future__ import annotations

import itertools
import re
import zlib
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z0-9']+")
_DIGITS = re.compile(r"\d+")
_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,24}):", re.MULTILINE)
_BITS = np.arange(32, dtype=np.uint32)
_MAX_GRAMS = 64

COT = re.compile(
    r"step[- ]by[- ]step|show (?:your|all|the) (?:work|steps|reasoning)|explain (?:your|the) "
    r"reasoning|justif(?:y|ication)|think (?:carefully|through|it through)|chain[- ]of[- ]thought"
    r"|let'?s think|reason (?:through|about it)|walk me through|detailed explanation|rationale"
    r"|explain each step|think like you|explain (?:why|how) you",
)
RUBRIC = re.compile(
    r"\brubric\b|\bon a scale of\b|\brate (?:the|this|each|these|following)\b"
    r"|\bscore (?:the|this|each)\b|\bgrade (?:the|this|each)\b"
    r"|\bwhich (?:response|answer|assistant) is better\b|\bjudge\b"
    r"|\b(?:1|one) to (?:5|10|ten|five)\b"
    r"|\bevaluate the (?:following |quality )?(?:response|answer)",
)
AGENT = re.compile(
    r"\byou (?:are|act as) an? (?:autonomous |coding |software )?agent\b|\bavailable tools\b"
    r"|\bthought:|\baction:|\bobservation:|\bfunction call",
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
_MATH_EXPR = re.compile(r"\d ?[-+*/=] ?\d")
_CHOICE = re.compile(r"^\(?[a-d][).:] ", re.M)
AREA_NAMES: tuple[str, ...] = ("grading", "choice", *(name for name, _ in AREAS), "other")


def stable_hash(text: str) -> int:
    """A 63-bit hash of `text` that is the same in every process."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def words(lowered: str) -> list[str]:
    return _WORD.findall(lowered)


def skeleton(text: str) -> str:
    """The fixed part of a templated prompt: its first words and its line labels.

    Digits are masked, and only the opening words and `Label:` line heads are kept,
    because templates put the variable slots (passages, questions) after a fixed
    instruction and between fixed labels.
    """
    first = text[:200].split("\n", 1)[0]
    if ":" in first:
        first = first.split(":", 1)[0]
    head = " ".join(words(_DIGITS.sub("0", first.lower()))[:6])
    labels = ",".join(m.lower().strip() for m in _LABEL.findall(text[:1500])[:8])
    return f"{head}|{labels}"


def simhash(tokens: list[str]) -> int:
    """32-bit SimHash of word unigrams and bigrams (Charikar 2002).

    32 bits and at most 64 grams keep it near 8 us: enough to tell near-duplicate
    prompts (distance under ~6) from unrelated ones (around 16).
    """
    half = tokens[: _MAX_GRAMS // 2]
    grams = half + [a + " " + b for a, b in itertools.pairwise(half)]
    if not grams:
        return 0
    h = np.fromiter(map(zlib.crc32, map(str.encode, grams)), dtype=np.uint32, count=len(grams))
    bits = (h[:, None] >> _BITS) & np.uint32(1)
    ones: npt.NDArray[np.int64] = bits.sum(axis=0, dtype=np.int64)
    weights = np.left_shift(np.uint64(1), _BITS.astype(np.uint64))
    return int(weights[ones * 2 > len(grams)].sum())


def area(lowered: str, tokens: list[str], rubric: bool | None = None) -> str:
    """A coarse capability area from keyword cues; 'other' when none match.

    `lowered` is the lowercased prompt and `tokens` its `words`; `rubric` saves a
    search when the caller already knows whether the prompt asks for grading.
    """
    if rubric if rubric is not None else RUBRIC.search(lowered):
        return "grading"
    if _CHOICE.search(lowered):
        return "choice"
    vocab = set(tokens[:300])
    if _MATH_EXPR.search(lowered[:1500]):
        return "math"
    for name, keys in AREAS:
        if not vocab.isdisjoint(keys):
            return name
    return "other"
