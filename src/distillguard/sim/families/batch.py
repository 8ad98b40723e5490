"""Template traffic: batch labelling and its harvest twin, logit-bias and logprob probing.

A batch labeller sends one template with ever-new payloads (so it walks its own data
without repeats, as a harvester does) and takes a label of a few tokens back. A template
harvester also sends one or a few templates with ever-new payloads, but takes long
answers. A classifier app biases a fixed, small token set with `logit_bias` and reads one
token (and often its logprobs); a sweep moves its bias across the vocabulary a window at
a time, and a logprob harvester takes wide top_logprobs on long answers.
"""

from __future__ import annotations

import random
from typing import Any

from distillguard.sim.families.chat import ChatPersona, Conv

VOCAB = 100_000
LABEL_TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Classify the intent of this customer message. Reply with one label from: "
        "billing, shipping, account, technical, refund, other.\n\nMessage: {x}",
        ("billing", "shipping", "account", "technical", "refund", "other"),
    ),
    (
        "Sentiment of the following text (positive, negative or neutral):\n\n{x}",
        ("positive", "negative", "neutral"),
    ),
    ("Does the text below contain personal data? Answer yes or no.\n\n{x}", ("yes", "no")),
    (
        "Label the topic of this query with one word (finance, travel, health, tech, food, "
        "home, work, other).\nQuery: {x}\nLabel:",
        ("finance", "travel", "health", "tech", "food", "home", "work", "other"),
    ),
    ("Is this question answerable from a product FAQ? yes/no\n\n{x}", ("yes", "no")),
    (
        'Return JSON {"urgent": true|false} for this support ticket:\n{x}',
        ('{"urgent": true}', '{"urgent": false}'),
    ),
    ("Language code (ISO 639-1) of: {x}", ("en", "es", "de", "fr")),
)
HARVEST_TEMPLATES = (
    "Answer the following thoroughly:\n\n{x}",
    "Write a detailed, helpful response to this message:\n\n{x}",
    "Explain the following in depth, with examples:\n{x}",
    "Provide a complete solution:\n{x}",
    "Respond to the instruction below as an expert would.\n\nInstruction: {x}\n\nResponse:",
    "Classify the intent of this message, then write the full reply an agent should send, "
    "explaining each step:\n\n{x}",
    "Label the topic of this query, then answer it completely.\nQuery: {x}",
)


def label_task(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    return rng.choice(LABEL_TASKS)


class LabelPersona(ChatPersona):
    """Replies are one of a fixed label set (a labeller's, or a classifier's tokens)."""

    def __init__(self, *args: Any, labels: tuple[str, ...], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.labels = labels

    def short_answer(self, conv: Conv) -> str | None:
        return self.rng.choice(self.labels)


class ClassifierPersona(LabelPersona):
    """A classifier app: the same few token ids biased on every request; one token out."""

    def __init__(self, *args: Any, token_ids: list[int], bias: float, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.bias = {str(i): bias for i in token_ids}

    def chat(self, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        req = super().chat(messages, **extra)
        req["logit_bias"] = dict(self.bias)
        req["max_tokens"] = 1
        req.pop("max_completion_tokens", None)
        return req


class SweepPersona(LabelPersona):
    """A logit-bias sweep: each request biases the next window of token ids."""

    def __init__(self, *args: Any, window: int, bias: float, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.window, self.bias = window, bias
        self.cursor = self.rng.randrange(VOCAB)
        self.stride = self.rng.choice((1, 1, 7, 13))

    def chat(self, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        req = super().chat(messages, **extra)
        ids = [(self.cursor + k * self.stride) % VOCAB for k in range(self.window)]
        self.cursor = (self.cursor + self.window * self.stride) % VOCAB
        req["logit_bias"] = {str(i): self.bias for i in ids}
        req["max_tokens"] = self.rng.choice((1, 1, 2, 5))
        req.pop("max_completion_tokens", None)
        return req

    def short_answer(self, conv: Conv) -> str | None:
        return f"tok{self.cursor % 997}"
