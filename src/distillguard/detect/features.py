"""Per-request features: a pure function from one `Event` to a small frozen record.

Features are computed once per event and shared by every detector, so each detector's
`update` is a few arithmetic operations on these fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillguard.detect import text
from distillguard.events import Event, Response


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
    # Usage shape (what the traffic is for), read by `detectors.usage`.
    content: int = 0  # hash of the last user message alone: the same task sent again
    config: int = 0  # hash of the sampling set-up (model, temperature, top_p, seed, effort)
    capped: bool = False  # an answer stopped at the length cap, or filled max_tokens
    tool_msgs: int = 0  # tool results and tool-calling turns already in the conversation
    followups: int = 0  # assistant turns already in the conversation (a dialogue goes on)


def ip_prefix(ip: str | None) -> str:
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ip


def extract(event: Event, phrasing: bool = False) -> RequestFeatures:
    """Features of one request; `phrasing` adds the cue and SimHash features.

    The population scorer reads what traffic is for, not how it is phrased, so it skips
    the cue patterns and the SimHash (two thirds of the cost); the PRADA baseline needs
    the SimHash distances and asks for them.
    """
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
    found: set[str] = set()
    if phrasing:
        # Instructions sit at the start or the end of a prompt; the middle is the payload.
        tail = user[-500:].lower() if len(user) > 3500 else ""
        system_lowered = system[:1000].lower()
        cues = lowered[:1500] + "\n" + lowered[-500:] + tail + "\n" + system_lowered
        vocab = set(tokens)
        vocab.update(text.words(tail + " " + system_lowered))
        found = text.cues(cues, vocab)
    rubric = "rubric" in found
    tool_msgs = sum(1 for m in req.messages if m.role == "tool")
    return RequestFeatures(
        ts=event.ts,
        prompt=text.stable_hash(convo),
        template=text.stable_hash(text.skeleton(user)),
        system=text.stable_hash(system) if system else 0,
        simhash=text.simhash(tokens) if phrasing else 0,
        cot="cot" in found,
        rubric=rubric,
        agentic=bool(req.tools) or "agentic" in found or tool_msgs > 0,
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
        content=text.stable_hash(user),
        config=text.stable_hash(
            f"{req.model}|{req.temperature}|{req.top_p}|{req.seed}|{req.reasoning_effort}"
        ),
        capped=_capped(resp, req.max_tokens, completion),
        tool_msgs=tool_msgs,
        followups=sum(1 for m in req.messages if m.role == "assistant"),
    )


def _capped(resp: Response | None, max_tokens: int | None, completion: int) -> bool:
    """Whether the answer ran into its length limit: harvests ask for all they can get."""
    if resp is None:
        return False
    if any(c.finish_reason == "length" for c in resp.choices):
        return True
    return max_tokens is not None and max_tokens >= 64 and completion >= 0.95 * max_tokens
