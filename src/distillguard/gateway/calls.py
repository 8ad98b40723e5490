"""One request on its way through the gateway, what it may use, and the event it leaves.

`reservation` decides how many tokens a request may use before it goes upstream (its prompt,
estimated, and its answer cap times `n`), so the limiter can reserve them; a request that
names no `max_tokens` is sent with the tier's cap, so that the reservation holds. `event_of`
turns a finished, refused or failed call into one event of docs/events.md, with every
oversized string cut (`events.clip`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.events.clip import clip, clip_text
from distillguard.gateway.api_errors import ApiError
from distillguard.gateway.enforcement import Applied, attributes_of
from distillguard.gateway.tokens import count_tokens, prompt_text
from distillguard.gateway.upstreams import Endpoint
from distillguard.policy import Change
from distillguard.store import Principal, Tier

_HEADER_CHARS = 512  # a User-Agent longer than this says nothing more about the client


@dataclass(slots=True)
class Call:
    """One request on its way through the gateway."""

    endpoint: Endpoint
    who: Principal
    body: dict[str, Any]
    arrived: float  # Unix seconds, the event's ts
    started: float  # perf_counter, for latency
    ip: str | None
    user_agent: str | None
    counted: bool = False
    applied: Applied | None = None  # what the policy did to the request
    response_changes: tuple[Change, ...] = ()  # and to the answer
    cap: int = 0  # the answer length the upstream is held to, per choice
    reserved: int = 0  # tokens the limiter holds for this call until it is settled
    error: ApiError | None = None  # why it was refused or failed
    body_bytes: bytes | None = None  # a body refused as unreadable, kept only as a digest


_CAPS = ("max_tokens", "max_completion_tokens")
_LAST_TS = 253_402_300_799.0  # 9999-12-31T23:59:59Z, the last time an event can carry


def arrival_time(given: str, header: str) -> float:
    """A replay's event time from its header: finite Unix seconds an event can carry."""
    try:
        ts = float(given)
    except ValueError:
        ts = math.nan
    if not (math.isfinite(ts) and 0 <= ts <= _LAST_TS):
        raise ApiError(
            400,
            f"{header} must be Unix seconds from 0 to {_LAST_TS:.0f}, got {given[:40]!r}.",
            param=header,
        )
    return ts


def answers(body: dict[str, Any]) -> int:
    """How many answers a request asks for: `n` (or `best_of`, which is generated whole) for
    each prompt of a completions request's list."""
    prompt = body.get("prompt")
    prompts = len(prompt) if isinstance(prompt, list) else 1
    return max(1, prompts) * max(body.get("n") or 1, body.get("best_of") or 1)


def reservation(body: dict[str, Any], tier: Tier, default_cap: int) -> tuple[int, int]:
    """(answer cap per choice, tokens to reserve), or a 400 if the request can never fit.

    `body` is what goes upstream (after the policy), `tier` the limits the call is admitted
    under (after any throttle); `default_cap` holds a request that names no cap. Both cap
    fields count: an upstream may honour either, so the larger is the one to reserve."""
    n = answers(body)
    named = [v for v in (body.get(k) for k in _CAPS) if isinstance(v, int) and v > 0]
    asked = max(named) if named else None
    prompt = count_tokens(prompt_text(body))
    cap = asked or default_cap
    budgets = [b for b in (tier.tokens_per_min, tier.daily_tokens) if b]
    if not budgets:
        return cap, prompt + cap * n
    budget = min(budgets)
    if not asked and prompt + cap * n > budget:
        cap = max(1, (budget - prompt) // n)  # a cap of our own choosing can be made to fit
    if prompt + cap * n > budget:
        field = "max_completion_tokens" if body.get("max_completion_tokens") else "max_tokens"
        raise ApiError(
            400,
            f"This request may use {prompt + cap * n:,} tokens (a prompt of about {prompt:,}, "
            f"and {cap:,} per answer x {n}), more than tier '{tier.name}' allows "
            f"({budget:,} tokens); lower '{field}' or 'n', or shorten the prompt.",
            param=field if asked else "messages",
            code="request_too_large_for_tier",
        )
    return cap, prompt + cap * n


def capped(body: dict[str, Any], cap: int) -> dict[str, Any]:
    """`body` as it goes upstream: every cap it names at most `cap`, and `max_tokens` = `cap`
    when it names none, so that no answer outgrows what was reserved for it."""
    named = {k: body[k] for k in _CAPS if body.get(k)}
    if not named:
        return {**body, "max_tokens": cap}
    if all(isinstance(v, int) and v <= cap for v in named.values()):
        return body
    return {**body, **{k: cap for k in named}}


def refused_request(raw: bytes, endpoint: Endpoint) -> dict[str, Any]:
    """What an event keeps of a body refused as invalid: a valid, empty request naming the
    model (when it was readable), so that the log stays readable by docs/events.md."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    model = body.get("model") if isinstance(body, dict) else None
    out: dict[str, Any] = {"messages": []} if endpoint is Endpoint.CHAT else {}
    if isinstance(model, str):
        out["model"] = model
    return out


def event_of(
    call: Call, status: int, response: dict[str, Any] | None, latency_ms: float, max_text: int
) -> dict[str, Any]:
    """The event of `call` (docs/events.md), `_meta` included for the recorder."""
    account = call.who.account
    event: dict[str, Any] = {
        "ts": call.arrived,
        "account": account.id,
        "key": call.who.key_id,
        "endpoint": call.endpoint.value,
        "request": clip(call.body, max_text),
        "status": status,
        "latency_ms": round(latency_ms, 3),
    }
    if account.org:
        event["org"] = account.org
    if call.ip:
        event["ip"] = call.ip
    if call.user_agent:
        event["user_agent"] = clip_text(call.user_agent, _HEADER_CHARS)
    if response is not None:
        event["response"] = clip(response, max_text)
    if call.error is not None:
        event["error"] = _error_field(call)
    if call.applied is not None:
        enforced = call.applied.record()
        if enforced is not None:
            if call.response_changes:
                kinds = {c.kind.value for c in call.response_changes}
                enforced["changes"] = sorted({*enforced["changes"], *kinds})
            event["enforcement"] = enforced
    event["_meta"] = {"tier": call.who.tier.name, "attrs": attributes_of(account)}
    return event


def _error_field(call: Call) -> dict[str, Any]:
    """The `error` extension of an event: why the gateway refused or failed the call."""
    err = call.error
    assert err is not None
    out: dict[str, Any] = {"type": err.type, "code": err.code, "param": err.param}
    if call.body_bytes is not None:
        out["body_bytes"] = len(call.body_bytes)
        out["body_sha256"] = hashlib.sha256(call.body_bytes).hexdigest()
    return out
