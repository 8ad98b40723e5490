"""Small traffic generators for detection tests: one harvest shape and its benign twins.

Each returns events of one account. The population they make together is what the
scorer ranks against, so tests build one with `population` and add the accounts under
test to it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.events import Event, parse_event

Make = Callable[..., Event]
T0 = 1.8e9
TOPICS = "tax law poem sql sorting gravity french essay budget chess proof recipe".split()


def event(
    ts: float,
    account: str = "acct_a",
    user: str = "hello there",
    system: str | None = None,
    history: int = 0,
    completion_tokens: int = 100,
    ip: str = "198.51.100.7",
    **request: Any,
) -> Event:
    messages: list[dict[str, str]] = []
    if system:
        messages.append({"role": "system", "content": system})
    for i in range(history):
        messages += [
            {"role": "user", "content": f"earlier {i}"},
            {"role": "assistant", "content": "reply"},
        ]
    messages.append({"role": "user", "content": user})
    return parse_event(
        {
            "ts": ts,
            "account": account,
            "ip": ip,
            "request": {"model": "m", "messages": messages, **request},
            "response": {
                "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                "usage": {
                    "prompt_tokens": len(user) // 4 + 1,
                    "completion_tokens": completion_tokens,
                },
            },
        }
    )


# A harvest walks every capability; products stay near their own.
BROAD = (
    "Write a python function that {}",
    "Calculate the total sum of {}",
    "Write an essay about {}",
    "Explain the history of {}",
    "Compose a poem on {}",
    "Debug this code: {}",
    "What is the probability that {}",
    "Summarize the topic {}",
)


def _task(rng: random.Random, i: int) -> str:
    return f"{rng.choice(TOPICS)} task {i}: {rng.random():.6f} {rng.choice(TOPICS)}"


def _broad(rng: random.Random, i: int) -> str:
    return BROAD[i % len(BROAD)].format(f"{rng.choice(TOPICS)} {i} {rng.random():.6f}")


def harvest(
    make: Make, account: str, n: int, gap: float, seed: int = 0, **kw: object
) -> list[Event]:
    """New single-shot prompts over every capability, answers taken at the 1,024-token cap."""
    rng = random.Random(seed)
    ip = str(kw.pop("ip", f"203.0.113.{seed % 250}"))
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            user=_broad(rng, i),
            completion_tokens=1024,
            max_tokens=1024,
            ip=ip,
            **kw,
        )
        for i in range(n)
    ]


def evaluation(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """A benchmark of 40 questions re-run across models and temperatures, long answers."""
    rng = random.Random(seed)
    questions = [_task(rng, i) for i in range(40)]
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            user=questions[i % 40],
            completion_tokens=1024,
            max_tokens=1024,
            model=f"m-{i // 40 % 3}",
            temperature=[0.0, 0.7][i // 120 % 2],
            ip="198.51.100.20",
        )
        for i in range(n)
    ]


def chat(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """People in conversations: follow-ups, middling answers."""
    rng = random.Random(seed)
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            system="You are Pal, a friendly assistant.",
            user=_task(rng, i),
            history=rng.choice([0, 1, 2, 4]),
            completion_tokens=rng.randrange(60, 400),
            ip=f"192.0.2.{rng.randrange(250)}",
        )
        for i in range(n)
    ]


def support(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """A narrow bot: the same few questions again and again, short answers."""
    rng = random.Random(seed)
    faq = [f"how do I reset my card {k}?" for k in range(15)]
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            system="You are the Acme bank assistant.",
            user=rng.choice(faq),
            history=rng.choice([0, 0, 1]),
            completion_tokens=rng.randrange(40, 120),
            ip=f"192.0.2.{rng.randrange(250)}",
        )
        for i in range(n)
    ]


def population(make: Make, accounts: int = 30, n: int = 120, gap: float = 300) -> list[Event]:
    """Benign peers of mixed kinds: what the harvest is ranked against."""
    makers = (chat, support, evaluation)
    events: list[Event] = []
    for k in range(accounts):
        events += makers[k % 3](make, f"peer{k:02d}", n, gap, seed=1000 + k)
    return events


def run(events: list[Event], config: AnalyzerConfig | None = None) -> Analyzer:
    analyzer = Analyzer(config)
    for ev in sorted(events, key=lambda e: e.ts):
        analyzer.process(ev)
    return analyzer


def tutoring(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """Worked explanations, long answers, but students follow up on most of them."""
    rng = random.Random(seed)
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            system="You are a tutor. Explain every step of your reasoning.",
            user=_task(rng, i),
            history=0 if i % 3 == 0 else rng.choice([1, 2, 3]),
            completion_tokens=1024,
            max_tokens=1024,
            ip="192.0.2.77",
        )
        for i in range(n)
    ]


TOOLS = [{"type": "function", "function": {"name": "search"}}]
LOOP = [{"role": "assistant", "content": "calling search"}, {"role": "tool", "content": "ok"}]


def _with_messages(ev: Event, messages: list[dict[str, str]]) -> Event:
    """The event with its conversation replaced (a tool loop, a follow-up)."""
    raw = dict(ev.raw)
    raw["request"] = {**raw["request"], "messages": messages}
    return parse_event(raw)


def agent(
    make: Make, account: str, n: int, gap: float, seed: int = 0, answer: int = 1024
) -> list[Event]:
    """An agent platform: each task loops on its tools (the task's prompt sent again with
    the call and its result), and its user follows the answer up half of the time."""
    rng = random.Random(seed)
    out: list[Event] = []
    task = ""
    for i in range(n):
        step = i % 4
        if step == 0:
            task = _task(rng, i)
        messages: list[dict[str, str]] = [{"role": "user", "content": task}]
        if step in (1, 2):  # the loop goes on: a tool result is the last turn
            messages += LOOP
        elif step == 3 and rng.random() < 0.5:  # the user asks more of the answer
            followup = f"Now make it fit {rng.choice(TOPICS)} {rng.random():.6f}"
            messages += [*LOOP, {"role": "assistant", "content": "done"}]
            messages.append({"role": "user", "content": followup})
        elif step == 3:
            messages += LOOP
        ev = make(
            T0 + i * gap + rng.random(),
            account=account,
            user=task,
            completion_tokens=rng.randrange(answer // 8, answer + 1),
            max_tokens=1024,
            tools=TOOLS,
            ip="192.0.2.88",
        )
        out.append(_with_messages(ev, messages))
    return out


def agent_harvest(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """The agent platform's attack twin: tasks over every capability, each looped on its
    tools, answers at the cap, and nobody ever follows one up."""
    rng = random.Random(seed)
    out: list[Event] = []
    task = ""
    for i in range(n):
        if i % 3 == 0:
            task = _broad(rng, i)
        ev = make(
            T0 + i * gap + rng.random(),
            account=account,
            user=task,
            completion_tokens=1024,
            max_tokens=1024,
            tools=TOOLS,
            ip="203.0.113.77",
        )
        out.append(
            _with_messages(ev, [{"role": "user", "content": task}, *(LOOP if i % 3 else [])])
        )
    return out


def labeller(make: Make, account: str, n: int, gap: float, seed: int = 0) -> list[Event]:
    """A batch labeller: new payloads single-shot, but one-word answers."""
    rng = random.Random(seed)
    return [
        make(
            T0 + i * gap + rng.random(),
            account=account,
            user=f"Label the sentiment of: {_task(rng, i)}\nLabel:",
            completion_tokens=2,
            max_tokens=5,
            temperature=0.0,
            ip="192.0.2.99",
        )
        for i in range(n)
    ]


def network(make: Make, members: int = 12, n: int = 25) -> list[Event]:
    """A low-and-slow network: own address and system prompt each, one client set-up."""
    events: list[Event] = []
    for m in range(members):
        events += harvest(
            make,
            f"net{m:02d}",
            n,
            2400,
            seed=m,
            ip=f"10.{m}.0.9",
            system=f"You are helper number {m}.",
            temperature=0.3,
        )
    return events
