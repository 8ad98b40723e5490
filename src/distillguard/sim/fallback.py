"""A small built-in prompt generator, used when `shared/data` is absent.

It crosses short word lists into a few hundred texts per pool, so every persona still
has varied prompts on a fresh machine. The texts are obviously synthetic; runs that feed
a write-up should use the real data sets.
"""

from __future__ import annotations

import itertools
import random
from functools import lru_cache

from distillguard.sim.prompts import PromptBank

TOPICS = (
    "the French Revolution",
    "photosynthesis",
    "black holes",
    "the stock market",
    "climate change",
    "the human immune system",
    "machine learning",
    "the Roman Empire",
    "volcanoes",
    "electric cars",
    "sourdough bread",
    "jazz music",
    "the water cycle",
    "quantum computing",
    "the Great Barrier Reef",
    "inflation",
    "chess openings",
    "the printing press",
    "honey bees",
    "plate tectonics",
    "marathon training",
    "renewable energy",
    "the Silk Road",
    "coffee roasting",
    "cryptography",
)
ASKS = (
    "What is {t}?",
    "Explain {t} in simple terms.",
    "Why does {t} matter?",
    "Give me three facts about {t}.",
    "How would you teach {t} to a child?",
    "What are common misconceptions about {t}?",
    "Summarize the history of {t}.",
    "Write a short poem about {t}.",
    "Compare {t} with something from everyday life.",
)
FOLLOW_UPS = (
    "Can you make that shorter?",
    "Give me an example.",
    "Why is that?",
    "Rewrite it for a ten-year-old.",
    "What should I read next?",
    "Is that always true?",
)
SUPPORT = (
    ("I still have not received my card", "card_arrival"),
    ("How do I reset my password?", "reset_password"),
    ("Why was I charged twice?", "duplicate_charge"),
    ("Can I cancel my order?", "cancel_order"),
    ("My transfer has not arrived yet", "transfer_not_received"),
    ("How do I change my shipping address?", "change_shipping_address"),
    ("I want a refund for my last purchase", "get_refund"),
    ("Is there a fee for topping up by card?", "top_up_fee"),
)
SUPPORT_TAILS = ("", " Please help.", " It has been a week.", " This is urgent.", " Thanks.")
CODE_TASKS = (
    "Write a function that reverses a {x}.",
    "Implement binary search over a sorted {x}.",
    "Write a Python class for a {x} with add and remove methods.",
    "Find the bug in this function that sums a {x}.",
    "Convert this {x} to JSON.",
)
CODE_THINGS = ("list", "string", "linked list", "dictionary", "queue", "matrix", "tree")
SUBJECTS = ("high_school_physics", "world_history", "college_biology", "econometrics")


def _cross(templates: tuple[str, ...], fills: tuple[str, ...], key: str) -> list[str]:
    return [t.format(**{key: f}) for t, f in itertools.product(templates, fills)]


@lru_cache(maxsize=1)
def builtin_bank() -> PromptBank:
    """Every pool, generated; `missing` names them all."""
    rng = random.Random(0)  # fixed: the fallback must be the same on every machine
    questions = _cross(ASKS, TOPICS, "t")
    rng.shuffle(questions)
    passages = tuple(
        f"{t.capitalize()} has been studied for a long time. Researchers describe its main "
        f"features, its history and its effects, and they still disagree about several "
        f"details of {t}. This paragraph is generated text standing in for a real passage."
        for t in TOPICS
    )
    code = tuple(
        (task, "", "def solution(x):\n    return x")
        for task in _cross(CODE_TASKS, CODE_THINGS, "x")
    )
    mmlu = tuple(
        (
            SUBJECTS[i % len(SUBJECTS)],
            f"Which statement about {t} is correct?",
            (f"{t} is A", f"{t} is B", f"{t} is C", f"{t} is D"),
            i % 4,
        )
        for i, t in enumerate(TOPICS * 4)
    )
    gsm8k = tuple(
        (
            f"Sam has {a} apples and buys {b} more bags of {c}. How many apples does he have?",
            f"He buys {b}*{c}={b * c} apples.\nSo he has {a}+{b * c}={a + b * c}."
            f"\n#### {a + b * c}",
        )
        for a, b, c in itertools.product((3, 7, 12, 20), (2, 4, 5), (6, 10, 12))
    )
    support = [
        (q + tail, intent) for (q, intent), tail in itertools.product(SUPPORT, SUPPORT_TAILS)
    ]
    return PromptBank(
        nq=tuple((q.lower().rstrip("?"), "see the answer") for q in questions[:120]),
        clinc=tuple(q.lower() for q in questions[120:]),
        mt_bench=tuple(("writing", q, rng.choice(FOLLOW_UPS)) for q in questions[:80]),
        vicuna=tuple(questions[80:160]),
        roles=tuple(
            (f"{t.title()} Expert", f"I want you to act as an expert on {t}. Answer my questions.")
            for t in TOPICS
        ),
        banking=tuple(support),
        bitext=tuple((q, i, "I understand. Here is how to solve it.") for q, i in support),
        alpaca=tuple((q, "", "Here is an answer.") for q in questions),
        code=code,
        t0=tuple((f"Passage: {p}\n\nQuestion: what is this about?", "a topic") for p in passages),
        passages=passages,
        orca=(
            "You are an AI assistant. Provide a detailed answer.",
            "You are a helpful assistant who always explains step by step.",
        ),
        gsm8k=gsm8k,
        mmlu=mmlu,
        humaneval=tuple(
            (f"Fallback/{i}", f'def f{i}(xs: list) -> int:\n    """Return the {w} of xs."""\n')
            for i, w in enumerate(("sum", "max", "min", "length", "product", "median"))
        ),
        magpie=("<|im_start|>user\n", "<|start_header_id|>user<|end_header_id|>\n\n"),
        missing=("all",),
    )
