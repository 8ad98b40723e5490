"""Per-request features: a pure function from one `Event` to a small frozen record.

Features are computed once per event and shared by every detector, so each detector's
`update` is a few arithmetic operations on these fields.

`extract` runs on every event (benchmarks/detection/throughput.py), so it walks the
messages once, encodes each text once and hashes bytes it already has; values that
repeat from request to request (system prompts, sampling set-ups, address ranges) are
hashed once and looked up after.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from distillguard.detect import text
from distillguard.events import CHARS_PER_TOKEN, Event, Message, Response


class RequestFeatures(NamedTuple):
    """One request's features. A named tuple rather than a frozen dataclass: as immutable,
    and built several times faster, which counts once per event."""

    ts: float
    prompt: int  # hash of the system prompt and the conversation's user turns
    template: int  # hash of the last user message's skeleton
    system: int  # hash of the system prompt; 0 when there is none
    simhash: int  # SimHash of the last user message
    cot: bool  # asks the model to spell out its reasoning
    rubric: bool  # asks the model to grade or compare answers
    agentic: bool  # carries tool definitions or an agent scaffold
    area: str
    turns: int  # user turns in the conversation, this one included
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    max_tokens: int | None
    temperature: float | None
    n: int
    logprobs: bool
    top_logprobs: int
    bias_ids: tuple[str, ...]
    bias_max: float
    ip_prefix: str  # /24 of an IPv4 address, /48 of IPv6; "" when unknown
    user_agent: str
    served: bool  # answered with status 2xx
    # Usage shape (what the traffic is for), read by `detectors.usage`.
    content: int = 0  # hash of the last user message alone: the same task sent again
    config: int = 0  # hash of the sampling set-up (model, temperature, top_p, seed, effort)
    capped: bool = False  # an answer stopped at the length cap, or filled max_tokens
    tool_msgs: int = 0  # tool results and tool-calling turns already in the conversation
    followups: int = 0  # assistant turns already in the conversation (a dialogue goes on)
    # The request answers a tool result: the agent loop goes on, nobody asked anything new.
    machine: bool = False
    # Every choice of the answer is a tool call: a step of the agent, not an answer to keep.
    calls_tools: bool = False
    org: str = ""  # the provider's organisation of the account; "" when it has none


def ip_prefix(ip: str | None) -> str:
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    # Four dot-separated parts, the first three kept: all before the last of three dots.
    return ip[: ip.rindex(".")] + ".0/24" if ip.count(".") == 3 else ip


# Hashes of values that repeat across requests, kept in bounded caches: system prompts
# longer than `_CACHED_SYSTEM` characters are hashed every time, so the system prompts'
# cache holds at most a few MB.
_CACHED_SYSTEM = 2000


@functools.lru_cache(maxsize=4096)
def _config_hash(setup: str) -> int:
    return text.stable_hash(setup)


@functools.lru_cache(maxsize=1024)
def _cached_system_hash(system: str) -> int:
    return text.stable_hash(system)


def extract(event: Event, phrasing: bool = False) -> RequestFeatures:
    """Features of one request; `phrasing` adds the cue and SimHash features.

    The population scorer reads what traffic is for, not how it is phrased, so it skips
    the cue patterns and the SimHash (two thirds of the cost); the PRADA baseline needs
    the SimHash distances and asks for them.
    """
    req = event.request
    system, users, encoded, tool_msgs, followups = _turns(req.messages)
    messages = req.messages
    user = users[-1] if users else ""
    # The prompt hash is that of `system + "\0" + "\0".join(users)`, from the bytes of
    # each part (UTF-8 encodes a concatenation part by part); the last user turn's bytes
    # serve its own hash too.
    convo = system.encode() + b"\x00" + b"\x00".join(encoded)
    resp = event.response
    prompt_tokens = resp.prompt_tokens if resp is not None else None
    if prompt_tokens is None:
        prompt_tokens = _convo_chars(system, users) // CHARS_PER_TOKEN
    # A log without `usage` counts its answers from their text: counting none would rank
    # every such account at the bottom of answer length and output per prompt (on a
    # detector-blind twin trace with usage taken out, AUROC fell 0.976 -> 0.929:
    # benchmarks/robustness).
    completion, reasoning = resp.answer_tokens() if resp is not None else (0, 0)
    lowered = user[:3000].lower()
    tokens = text.words(lowered)
    found = _cues(user, lowered, tokens, system) if phrasing else _NO_CUES
    rubric = "rubric" in found
    bias = req.logit_bias
    # In field order: positional arguments, as keywords cost a third more once per event.
    return RequestFeatures(
        event.ts,
        text.hash_bytes(convo),
        text.stable_hash(text.skeleton(user)),
        _system_hash(system),
        text.simhash(tokens) if phrasing else 0,
        "cot" in found,
        rubric,
        bool(req.tools) or "agentic" in found or tool_msgs > 0,
        text.area(lowered, tokens, rubric),
        max(1, len(users)),
        prompt_tokens,
        completion,
        reasoning,
        req.max_tokens,
        req.temperature,
        req.n,
        req.logprobs,
        req.top_logprobs or 0,
        tuple([k for k, _ in bias]) if bias else (),
        max([abs(b) for _, b in bias]) if bias else 0.0,
        ip_prefix(event.ip),
        event.user_agent or "",
        200 <= event.status < 300,
        text.hash_bytes(encoded[-1]) if encoded else _EMPTY_HASH,
        _config_hash(
            f"{req.model}|{req.temperature}|{req.top_p}|{req.seed}|{req.reasoning_effort}"
        ),
        _capped(resp, req.max_tokens, completion),
        tool_msgs,
        followups,
        bool(messages) and messages[-1].role == "tool",
        _calls_tools(resp),
        event.org or "",
    )


_NO_CUES: frozenset[str] = frozenset()
_EMPTY_HASH = text.stable_hash("")


def _turns(messages: tuple[Message, ...]) -> tuple[str, list[str], list[bytes], int, int]:
    """One pass for what `Request.system_prompt` and the user turns give (each user turn
    also UTF-8 encoded), and how many tool and assistant turns there are."""
    systems: list[str] = []
    users: list[str] = []
    encoded: list[bytes] = []
    tool_msgs = followups = 0
    for m in messages:
        role = m.role
        if role == "user":
            users.append(m.content)
            encoded.append(m.content.encode())
        elif role == "assistant":
            followups += 1
        elif role == "tool":
            tool_msgs += 1
        elif role == "system" or role == "developer":
            systems.append(m.content)
    return "\n".join(systems), users, encoded, tool_msgs, followups


def _system_hash(system: str) -> int:
    if not system:
        return 0
    if len(system) > _CACHED_SYSTEM:
        return text.stable_hash(system)
    return _cached_system_hash(system)


def _convo_chars(system: str, users: list[str]) -> int:
    """len(system + "\0" + "\0".join(users)), without building it."""
    return len(system) + 1 + sum(map(len, users)) + max(len(users) - 1, 0)


def _cues(user: str, lowered: str, tokens: list[str], system: str) -> set[str]:
    """The cue names (`text.cues`) of the prompt's start and end and its system prompt."""
    # Instructions sit at the start or the end of a prompt; the middle is the payload.
    tail = user[-500:].lower() if len(user) > 3500 else ""
    system_lowered = system[:1000].lower()
    cues = lowered[:1500] + "\n" + lowered[-500:] + tail + "\n" + system_lowered
    vocab = set(tokens)
    vocab.update(text.words(tail + " " + system_lowered))
    return text.cues(cues, vocab)


def _calls_tools(resp: Response | None) -> bool:
    if resp is None or not resp.choices:
        return False
    return all(c.tool_calls > 0 or c.finish_reason == "tool_calls" for c in resp.choices)


def _capped(resp: Response | None, max_tokens: int | None, completion: int) -> bool:
    """Whether the answer ran into its length limit: harvests ask for all they can get."""
    if resp is None:
        return False
    for c in resp.choices:
        if c.finish_reason == "length":
            return True
    return max_tokens is not None and max_tokens >= 64 and completion >= 0.95 * max_tokens
