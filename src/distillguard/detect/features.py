"""Per-request features: a pure function from one `Event` to a small frozen record.

Features are computed once per event and shared by every detector, so each detector's
`update` is a few arithmetic operations on these fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillguard.detect import text
from distillguard.events import Event


@dataclass(frozen=True, slots=True)
class RequestFeatures:
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


def ip_prefix(ip: str | None) -> str:
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ip


def extract(event: Event) -> RequestFeatures:
    req = event.request
    user = req.last_user
    system = req.system_prompt
    convo = system + "\x00" + "\x00".join(m.content for m in req.messages if m.role == "user")
    resp = event.response
    prompt_tokens = resp.prompt_tokens if resp and resp.prompt_tokens is not None else None
    if prompt_tokens is None:
        prompt_tokens = len(convo) // 4
    completion = resp.completion_tokens if resp and resp.completion_tokens is not None else 0
    lowered = user[:3000].lower()
    tokens = text.words(lowered)
    # Instructions sit at the start or the end of a prompt; the middle is the payload.
    tail = user[-500:].lower() if len(user) > 3500 else ""
    system_lowered = system[:1000].lower()
    cues = lowered[:1500] + "\n" + lowered[-500:] + tail + "\n" + system_lowered
    vocab = set(tokens)
    vocab.update(text.words(tail + " " + system_lowered))
    found = text.cues(cues, vocab)
    rubric = "rubric" in found
    return RequestFeatures(
        ts=event.ts,
        prompt=text.stable_hash(convo),
        template=text.stable_hash(text.skeleton(user)),
        system=text.stable_hash(system) if system else 0,
        simhash=text.simhash(tokens),
        cot="cot" in found,
        rubric=rubric,
        agentic=bool(req.tools) or "agentic" in found,
        area=text.area(lowered, tokens, rubric),
        turns=max(1, req.turns),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion,
        reasoning_tokens=(resp.reasoning_tokens or 0) if resp else 0,
        max_tokens=req.max_tokens,
        temperature=req.temperature,
        n=req.n,
        logprobs=req.logprobs,
        top_logprobs=req.top_logprobs or 0,
        bias_ids=tuple(k for k, _ in req.logit_bias),
        bias_max=max((abs(b) for _, b in req.logit_bias), default=0.0),
        ip_prefix=ip_prefix(event.ip),
        user_agent=event.user_agent or "",
        served=200 <= event.status < 300,
    )
