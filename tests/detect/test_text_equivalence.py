"""The fast forms in `detect.text` give what their plain forms gave, which are kept here.

`words`, `simhash`, `skeleton`, `area` and the cue patterns were rewritten for speed;
detector state saved by the old code must still be read by the new, so every output has to
match. Each is checked against its earlier form on generated texts that stress the edges
(blank lines, odd whitespace, non-ASCII, underscores, apostrophes), and every phrase of
each cue pattern is checked with characters on either side that do and do not make a
word boundary.
"""

from __future__ import annotations

import itertools
import random
import re
import re._parser as sre_parse  # test-only: enumerate a pattern's finite set of phrases
import zlib
from typing import Any

import numpy as np
import pytest

from distillguard.detect import text

# The earlier forms.
REF_WORD = re.compile(r"[a-z0-9']+")
REF_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,24}):", re.MULTILINE)
REF_CHOICE = re.compile(r"^\(?[a-d][).:] ", re.M)
REF_COT = re.compile(
    r"step[- ]by[- ]step|show (?:your|all|the) (?:work|steps|reasoning)|explain (?:your|the) "
    r"reasoning|justif(?:y|ication)|think (?:carefully|through|it through)|chain[- ]of[- ]thought"
    r"|let'?s think|reason (?:through|about it)|walk me through|detailed explanation|rationale"
    r"|explain each step|think like you|explain (?:why|how) you",
)
REF_RUBRIC = re.compile(
    r"\brubric\b|\bon a scale of\b|\brate (?:the|this|each|these|following)\b"
    r"|\bscore (?:the|this|each)\b|\bgrade (?:the|this|each)\b"
    r"|\bwhich (?:response|answer|assistant) is better\b|\bjudge\b"
    r"|\b(?:1|one) to (?:5|10|ten|five)\b"
    r"|\bevaluate the (?:following |quality )?(?:response|answer)",
)
REF_AGENT = re.compile(
    r"\byou (?:are|act as) an? (?:autonomous |coding |software )?agent\b|\bavailable tools\b"
    r"|\bthought:|\baction:|\bobservation:|\bfunction call",
)
PAIRS = [(REF_COT, text.COT), (REF_RUBRIC, text.RUBRIC), (REF_AGENT, text.AGENT)]


def ref_words(lowered: str) -> list[str]:
    found: list[str] = REF_WORD.findall(lowered)
    return found


def ref_skeleton(s: str) -> str:
    first = s[:200].split("\n", 1)[0]
    if ":" in first:
        first = first.split(":", 1)[0]
    head = " ".join(ref_words(re.sub(r"\d+", "0", first.lower()))[:6])
    labels = ",".join(m.lower().strip() for m in REF_LABEL.findall(s[:1500])[:8])
    return f"{head}|{labels}"


def ref_simhash(tokens: list[str]) -> int:
    half = tokens[:32]
    grams = half + [a + " " + b for a, b in itertools.pairwise(half)]
    if not grams:
        return 0
    h = np.fromiter(map(zlib.crc32, map(str.encode, grams)), dtype=np.uint32, count=len(grams))
    bits_at = np.arange(32, dtype=np.uint32)
    ones = ((h[:, None] >> bits_at) & np.uint32(1)).sum(axis=0, dtype=np.int64)
    weights = np.left_shift(np.uint64(1), bits_at.astype(np.uint64))
    return int(weights[ones * 2 > len(grams)].sum())


def ref_area(lowered: str, tokens: list[str], rubric: bool | None = None) -> str:
    if rubric if rubric is not None else REF_RUBRIC.search(lowered):
        return "grading"
    if REF_CHOICE.search(lowered):
        return "choice"
    vocab = set(tokens[:300])
    if re.search(r"\d ?[-+*/=] ?\d", lowered[:1500]):
        return "math"
    for name, keys in text.AREAS:
        if not vocab.isdisjoint(keys):
            return name
    return "other"


def phrases(pattern: re.Pattern[str]) -> list[str]:
    """Every string the pattern can match, ignoring its zero-width checks (it has no loops)."""

    def expand(items: Any) -> list[str]:
        out = [""]
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                options = [chr(av)]
            elif name == "IN":
                options = [chr(v) for kind, v in av if str(kind) == "LITERAL"]
                assert len(options) == len(av), av
            elif name == "BRANCH":
                options = [p for branch in av[1] for p in expand(branch)]
            elif name == "SUBPATTERN":
                options = expand(av[3])
            elif name == "MAX_REPEAT" and av[:2] == (0, 1):
                options = ["", *expand(av[2])]
            elif name in ("AT", "ASSERT_NOT"):
                continue
            else:
                raise AssertionError(f"no expansion for {name}")
            out = [a + b for a in out for b in options]
        return out

    return expand(sre_parse.parse(pattern.pattern))


# Around a phrase: word characters (ASCII, non-ASCII, digit, underscore) and non-word ones.
AROUND = ["", "a", "é", "_", "1", " ", "'", "\n", "-", ":"]


@pytest.mark.parametrize(("ref", "fast"), PAIRS)
def test_cue_patterns_match_the_same_phrases(ref: re.Pattern[str], fast: re.Pattern[str]) -> None:
    every = sorted(set(phrases(ref)) | set(phrases(fast)))
    assert len(every) > 10
    assert set(phrases(ref)) == set(phrases(fast))
    for phrase in every:
        for before, after in itertools.product(AROUND, AROUND):
            s = before + phrase + after
            assert bool(ref.search(s)) == bool(fast.search(s)), repr(s)
            s = before + phrase[:-1] + after  # one short of a phrase
            assert bool(ref.search(s)) == bool(fast.search(s)), repr(s)


def generated(n: int, seed: int = 7) -> list[str]:
    """Texts made of cue phrases, label lines, choices, maths and noise, in random order."""
    rng = random.Random(seed)
    pieces = [p for ref, _ in PAIRS for p in phrases(ref)]
    pieces += ["Question:", "  Answer :", "\n\n", "\n \t\n", "\r\n", "\r", "\u2028", "\x85", "\x0b"]
    pieces += ["(a) ", "b. ", "c) ", "d: ", "12 * 7", "3+4", "x = 5", "Ünïcode", "naïve", "٣4"]
    pieces += ["snake_case", "don't", "it's", "CAPS", "Mixed Case", "\t", "  ", "42", ": "]
    pieces += "the a of to and code python refund poem translate why which".split()
    out = []
    for _ in range(n):
        parts = [rng.choice(pieces) for _ in range(rng.randrange(0, 60))]
        seps = [rng.choice(("", " ", " ", "\n", "\r", "_", "é", "-")) for _ in parts]
        out.append("".join(p + s for p, s in zip(parts, seps, strict=True)))
    long = "Passage: " + "word " * 400 + "\nQuestion: why?\n" + "x: y\n" * 20
    return [*out, "", " ", "\n", ":", long, long.lower(), "a:" * 900]


TEXTS = generated(3000)


def test_words() -> None:
    for s in TEXTS:
        for t in (s, s.lower()):
            assert text.words(t) == ref_words(t), repr(t)
    assert text.words("\ud800x") == ref_words("\ud800x")  # a lone surrogate separates too


def test_words_with_a_limit_start_with_the_same_words() -> None:
    for s in TEXTS:
        every = ref_words(s.lower())
        for limit in (1, 6, 300):
            got = text.words(s.lower(), limit)
            assert got[:limit] == every[:limit], repr(s)
            assert len(got) <= limit + 1


def test_simhash() -> None:
    cases = [text.words(s.lower()) for s in TEXTS]
    cases += [[], ["a"], ["é", "b"], ["ü"] * 40, [str(i) for i in range(100)]]
    for tokens in cases:
        assert text.simhash(tokens) == ref_simhash(tokens), tokens


def test_skeleton() -> None:
    for s in TEXTS:
        assert text.skeleton(s) == ref_skeleton(s), repr(s)


@pytest.mark.parametrize("rubric", [None, True, False])
def test_area(rubric: bool | None) -> None:
    for s in TEXTS:
        lowered = s[:3000].lower()
        tokens = text.words(lowered)
        assert text.area(lowered, tokens, rubric) == ref_area(lowered, tokens, rubric), s


def test_cue_patterns_on_texts() -> None:
    for s in TEXTS:
        lowered = s.lower()
        for ref, fast in PAIRS:
            assert bool(ref.search(lowered)) == bool(fast.search(lowered)), repr(lowered)


REF_MATH = re.compile(r"\d ?[-+*/=] ?\d")
MATHS = ["1+2", "1 + 2", "1+ 2", "1 +2", "1  + 2", "1 +  2", "+2", "1+", "a-1", "1-a", "x = 5"]
MATHS += ["5 =5", "١+٢", "٣ * 4", "1\n+2", "1+\n2", "1 ++ 2", "12/34", "-1", "1--1", "1 - -1"]


@pytest.mark.parametrize("s", MATHS)
def test_math_expression(s: str) -> None:
    for t in (s, f"x {s} y", f"{s}{s}"):
        assert bool(text._MATH_EXPR.search(t)) == bool(REF_MATH.search(t)), t
