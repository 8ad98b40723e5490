"""Cheap rewording, as harvesters use to turn a few seed tasks into many distinct prompts.

Real pipelines paraphrase with a model; word-level substitution and framing is enough
here to defeat exact-duplicate counting, which is what a detector must not rely on.
"""

from __future__ import annotations

import random

PREFIXES = (
    "",
    "",
    "",
    "Please ",
    "Could you ",
    "I need you to ",
    "Task: ",
    "Instruction: ",
    "Hey, can you ",
    "Kindly ",
    "Your job: ",
)
# Prefixes that run into the sentence, so its first word loses its capital.
RUN_ON = frozenset({"Please ", "Could you ", "I need you to ", "Hey, can you ", "Kindly "})
SUFFIXES = (
    "",
    "",
    "",
    " Be thorough.",
    " Explain your reasoning.",
    " Give a detailed answer.",
    " Answer in full sentences.",
    " Include examples.",
    " Be precise.",
)
SYNONYMS = {
    "write": ("compose", "draft", "produce"),
    "explain": ("describe", "clarify", "walk me through"),
    "generate": ("create", "produce", "come up with"),
    "describe": ("explain", "outline", "characterize"),
    "give": ("provide", "offer", "list"),
    "find": ("identify", "determine", "work out"),
    "list": ("enumerate", "name", "give"),
    "make": ("create", "build", "construct"),
    "short": ("brief", "concise", "compact"),
    "following": ("given", "below", "next"),
    "sentence": ("statement", "line"),
    "create": ("make", "design", "produce"),
    "answer": ("response", "reply"),
    "question": ("query", "prompt"),
    "function": ("routine", "method"),
    "program": ("script", "code"),
}
# Topic frames that recombine one pool's questions into new instructions (self-instruct).
FRAMES = (
    (
        "Write a detailed explanation of the following: {x}",
        "Generate five diverse questions about this topic and answer each one: {x}",
        "Summarize what is known about this for a beginner: {x}",
        "Write a short story inspired by this question: {x}",
        "List the pros and cons related to: {x}",
        "Create a lesson plan that answers: {x}",
        "Explain to a five-year-old: {x}",
        "Write a persuasive essay arguing a position on: {x}",
    ),
    (
        "Produce a comprehensive, well-structured answer to: {x}",
        "Turn this into three exam questions with model answers: {x}",
        "Draft an encyclopedia-style entry covering: {x}",
        "Give a step-by-step tutorial about: {x}",
        "Write a debate between two experts about: {x}",
        "Compose a FAQ (5 entries) about: {x}",
    ),
)


def reword(rng: random.Random, text: str, p: float = 0.5) -> str:
    """Swap common words for synonyms in the first line, then add a prefix and suffix."""
    head, sep, tail = text.partition("\n")
    words = head.split(" ")
    for i, w in enumerate(words[:40]):
        alts = SYNONYMS.get(w.lower())
        if alts and rng.random() < p:
            alt = rng.choice(alts)
            words[i] = alt.capitalize() if w[:1].isupper() else alt
    head = " ".join(words)
    prefix = rng.choice(PREFIXES)
    if prefix in RUN_ON and head[1:2].islower():  # "Write ..." -> "Please write ..."
        head = prefix + head[0].lower() + head[1:]
    elif prefix:
        head = prefix + head
    return head + sep + tail + rng.choice(SUFFIXES)


def frame(rng: random.Random, topic: str, variant: int = 0) -> str:
    return rng.choice(FRAMES[variant]).format(x=topic)
