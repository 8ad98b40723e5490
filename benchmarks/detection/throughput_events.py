"""The events of benchmarks/detection/throughput.py: deterministic, ~3 KB a line.

~200 accounts, each with its own persona drawn once (system prompt or none, tools or not,
how often it follows up, how often its prompts carry the phrases the text cues look for,
max_tokens, temperature, how many addresses), so accounts differ as customers do; answers
of ~2 KB, prompts of a few hundred characters of word salad.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from distillguard.events import format_ts

SEED = 20261202

_VOCABULARY = """
the model answer explain why how what proof theorem lemma function code python rust sort
list array graph tree node edge cost loss gradient token sequence attention layer weight
matrix vector tensor batch epoch learning rate optimizer chemistry protein molecule reaction
energy bond acid base solution equation history empire war treaty king revolution economy
market price demand supply trade write story poem character plot scene dialogue chapter
summary translate french german therefore because however consider suppose assume given then
thus hence finally first second third example case result value number integer prime sum
customer order refund account payment delivery classify sentiment label who when where which
"""
_WORDS = _VOCABULARY.split()
# Phrases that the text cues look for, so their regexes run as they do on real traffic.
_PHRASES = [
    "Think step by step.",
    "Show your work.",
    "Rate the following answer on a scale of 1 to 10.",
    "Explain your reasoning.",
    "Question: ",
    "Passage: ",
    "Calculate 12 * 7 + 3 = ?",
    "(a) one (b) two (c) three (d) four",
]
_SYSTEMS = [
    "You are a helpful assistant.",
    "You are the support assistant of Acme Bank. Be brief and polite.",
    "You are a patient math tutor. Explain each step so a student can follow.",
    "You are a senior software engineer. Answer with working code and a short explanation.",
    "Respond in JSON with keys 'reasoning' and 'answer'.",
]
_TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("search", "get_weather", "run_sql")
]
_AGENTS = ["OpenAI/Python 1.54.3", "OpenAI/NodeJS 4.71.1", "python-httpx/0.27.2", "curl/8.5.0"]
_MODELS = ["m-large", "m-large", "m-small", "m-reasoning"]


@dataclass(frozen=True, slots=True)
class Persona:
    """What one account sends: drawn once per account, so accounts differ from each other."""

    weight: float  # share of the traffic
    system: str | None
    tools: bool
    followup: float  # chance a request continues a conversation
    phrase: float  # chance the prompt carries a cue phrase
    max_tokens: int
    temperature: float
    ips: int  # addresses the account sends from


def personas(rng: random.Random, accounts: int) -> list[Persona]:
    return [
        Persona(
            weight=rng.lognormvariate(0, 1.0),
            system=rng.choice([None, *_SYSTEMS]),
            tools=rng.random() < 0.25,
            followup=rng.choice((0.0, 0.0, 0.3, 0.6)),
            phrase=rng.choice((0.0, 0.1, 0.5)),
            max_tokens=rng.choice((512, 1024, 2048, 4096)),
            temperature=rng.choice((0.0, 0.2, 0.7, 1.0)),
            ips=rng.choice((1, 1, 3, 20)),
        )
        for _ in range(accounts)
    ]


def _corpus(rng: random.Random) -> str:
    """A few MB of word salad; texts are random slices of it, which keeps generation fast."""
    return " ".join(rng.choice(_WORDS) for _ in range(600_000))


def _text(rng: random.Random, corpus: str, mean_chars: float) -> str:
    n = max(16, min(int(rng.lognormvariate(0, 0.5) * mean_chars * 0.88), 12_000))
    start = rng.randrange(0, len(corpus) - n)
    return corpus[start : start + n]


def _event(rng: random.Random, corpus: str, acct: int, p: Persona, ts: float) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if p.system:
        messages.append({"role": "system", "content": p.system})
    if rng.random() < p.followup:
        for _ in range(rng.choice((1, 1, 2))):
            messages.append({"role": "user", "content": _text(rng, corpus, 120)})
            messages.append({"role": "assistant", "content": _text(rng, corpus, 250)})
    user = _text(rng, corpus, 260)
    if rng.random() < p.phrase:
        user = rng.choice(_PHRASES) + " " + user
    messages.append({"role": "user", "content": user})
    request: dict[str, Any] = {
        "model": rng.choice(_MODELS),
        "messages": messages,
        "temperature": p.temperature,
        "max_tokens": p.max_tokens,
    }
    if p.tools:
        request["tools"] = _TOOLS
    event: dict[str, Any] = {
        "ts": format_ts(ts),
        "account": f"acct_{acct:04d}",
        "key": f"key_{acct:04d}_{rng.randrange(2)}",
        "ip": f"198.{acct % 200}.{rng.randrange(p.ips)}.{rng.randrange(1, 255)}",
        "user_agent": _AGENTS[acct % len(_AGENTS)],
        "endpoint": "chat.completions",
        "request": request,
    }
    if rng.random() < 0.01:
        event["status"] = 429
        return event
    answer = _text(rng, corpus, 2000)
    completion = len(answer) // 4
    event["response"] = {
        "id": f"chatcmpl-{rng.getrandbits(64):016x}",
        "object": "chat.completion",
        "model": request["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "length" if completion >= p.max_tokens else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": sum(len(m["content"]) for m in messages) // 4,
            "completion_tokens": completion,
            "total_tokens": 0,
        },
    }
    event["status"] = 200
    event["latency_ms"] = round(rng.uniform(300, 20_000), 1)
    return event


def generate(path: Path, events: int, accounts: int, hours: float) -> None:
    """Write `events` events over `hours` of stream time, accounts drawn by their weight."""
    rng = random.Random(SEED)
    corpus = _corpus(rng)
    people = personas(rng, accounts)
    weights = [p.weight for p in people]
    ts = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    gap = hours * 3600 / events
    with open(path, "wb", buffering=1 << 20) as fh:
        for acct in rng.choices(range(accounts), weights, k=events):
            ts += rng.expovariate(1 / gap)
            fh.write(orjson.dumps(_event(rng, corpus, acct, people[acct], ts)) + b"\n")
