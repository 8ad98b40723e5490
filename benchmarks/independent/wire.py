"""One API call on the wire: request and response bodies, token usage, latency, errors.

Token counts use one rule everywhere (about 4 characters a token), so a reader can check that
usage agrees with the text it describes. Synthetic answers are exactly 4 characters per token of
their completion, and a call whose natural answer is longer than its cap stops at the cap with
finish_reason "length" and completion_tokens equal to the cap (reasoning tokens count against the
cap, as with max_completion_tokens).
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Time to first token (s) and seconds per output token: a fast small model, a slower large one,
# and two reasoning models, one of which returns its reasoning text (as open-weight hosts do).
MODELS: dict[str, tuple[float, float]] = {
    "m-large": (0.55, 0.030),
    "m-small": (0.25, 0.010),
    "m-reason": (1.20, 0.022),
    "m-open-reason": (0.90, 0.018),
}
REASONING = {"m-reason", "m-open-reason"}
EFFORT_TOKENS = {"low": 250, "medium": 700, "high": 1800}  # median hidden reasoning length


def ntok(text: str | None) -> int:
    return 0 if not text else max(1, (len(text) + 3) // 4)


def iso(ts: float) -> str:
    ms = int(ts * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


@dataclass
class Cues:
    """Surface features of one account: how it calls the API, not what it wants from it."""

    models: list[str]
    system: str | None  # system prompt text; None: no system message
    sys_style: str  # none | generic | role | product | orca
    tools: list[dict] | None
    cot: str  # none | suffix | system | effort
    cot_text: str
    template: str
    max_tokens: int | None
    max_param: str  # max_tokens | max_completion_tokens
    temperature: float | None
    top_p: float | None
    seed: int | None
    stream: bool
    n: int
    user_agent: str
    timing: str  # diurnal | business | flat | servegen | jobs
    tz: float
    volume: float  # conversation starts per active day
    ip_mode: str  # single | few | many | residential
    ips: list[str]
    young: bool
    keys: list[str]
    org: str | None
    error_rate: float
    shape: list[float] | None = None  # a ServeGen client's rate series, for timing=servegen
    effort: str = "medium"


@dataclass
class Account:
    id: str
    label: str
    kind: str
    campaign: str | None
    cues: Cues
    rng: np.random.Generator
    start_s: float = 0.0  # seconds after the trace start when the account first exists
    camo: bool = False  # twins variant: the attacker mimics benign habits a little
    events: list[tuple[float, str]] = field(default_factory=list)


class Texts:
    """Synthetic answer text sliced from real answers of the same kind, deterministic per key."""

    def __init__(self, prose: str, code: str, steps: str) -> None:
        self.src = {"prose": prose, "code": code, "steps": steps}

    def make(self, style: str, tokens: int, key: str) -> str:
        corpus = self.src.get(style, self.src["prose"])
        n = 4 * max(tokens, 1)
        start = zlib.crc32(key.encode()) % len(corpus)
        out = corpus[start : start + n]
        while len(out) < n:
            out += "\n" + corpus[: n - len(out) - 1]
        return out[:n]


def _tools_tokens(tools: list[dict] | None, cache: dict[int, int]) -> int:
    if not tools:
        return 0
    if id(tools) not in cache:
        cache[id(tools)] = ntok(json.dumps(tools))
    return cache[id(tools)]


def prompt_tokens(messages: list[dict], tools: list[dict] | None, cache: dict[int, int]) -> int:
    n = 3 + _tools_tokens(tools, cache)
    for m in messages:
        n += 4 + ntok(m.get("content"))
        for call in m.get("tool_calls") or ():
            n += 8 + ntok(call["function"]["arguments"])
    return n


class Wire:
    """Turns (account, time, messages, intended answer) into one event line."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self._tool_cache: dict[int, int] = {}
        self._calls = 0

    def _request(self, c: Cues, model: str, body: dict, tools, extra: dict | None) -> dict:
        req: dict[str, Any] = {"model": model, **body}
        if c.temperature is not None:
            req["temperature"] = c.temperature
        if c.top_p is not None:
            req["top_p"] = c.top_p
        if c.max_tokens is not None:
            req["max_completion_tokens" if model in REASONING else c.max_param] = c.max_tokens
        if c.n > 1:
            req["n"] = c.n
        if c.seed is not None:
            req["seed"] = c.seed
        if c.stream:
            req["stream"] = True
        if model in REASONING and c.cot == "effort":
            req["reasoning_effort"] = c.effort
        if tools:
            req["tools"] = tools
        if c.template == "json" and "messages" in body:
            req["response_format"] = {"type": "json_object"}
        if extra:
            if "max_tokens" in extra or "max_completion_tokens" in extra:
                req.pop("max_tokens", None)
                req.pop("max_completion_tokens", None)
            req.update(extra)
        return req

    def emit(
        self,
        a: Account,
        ts: float,
        messages: list[dict] | None,
        *,
        length: int,
        style: str = "prose",
        tools: list[dict] | None = None,
        call: dict | None = None,
        content: str | None = None,
        extra: dict | None = None,
        model: str | None = None,
        prompt: str | None = None,
    ) -> tuple[dict | None, float]:
        """Write one call (after a failed attempt, sometimes) and return (assistant message, done).

        length: tokens of the answer the model would give uncapped; content: the exact answer
        instead (short labels); call: a tool call to return instead of text.
        """
        rng, c = a.rng, a.cues
        model = model or c.models[0]
        body = {"messages": messages} if prompt is None else {"prompt": prompt}
        req = self._request(c, model, body, tools, extra)
        endpoint = "chat.completions" if prompt is None else "completions"
        if prompt is None:
            ptok = prompt_tokens(messages or [], tools, self._tool_cache)
        else:
            ptok = 3 + ntok(prompt)
        if rng.random() < c.error_rate:  # rate limit or upstream error; the client retries
            code = int(rng.choice([429, 429, 500, 503]))
            self._write(a, ts, endpoint, req, None, code, float(rng.uniform(20, 400)))
            ts += float(rng.uniform(1, 20))
        cap = req.get("max_completion_tokens", req.get("max_tokens"))
        ttft, per_tok = MODELS[model]
        last = messages[-1]["content"] if messages else prompt
        sample = 0 if req.get("temperature") == 0 else int(rng.integers(1 << 30))
        key = f"{model}|{sample}|{(last or '')[-300:]}"
        choices, completion, reasoning = [], 0, 0
        for i in range(c.n if call is None else 1):
            msg, finish, used, r = self._answer(
                a, model, cap, length, style, call, content, key + str(i), "response_format" in req
            )
            completion += used
            reasoning += r
            if prompt is None:
                choice = {"index": i, "message": msg, "finish_reason": finish}
            else:
                choice = {"index": i, "text": msg["content"], "finish_reason": finish}
            if extra and extra.get("logprobs"):
                top = int(extra.get("top_logprobs", 0))
                choice["logprobs"] = self._logprobs(
                    rng, used, top, msg.get("content") if used == 1 else None
                )
            choices.append(choice)
        usage: dict[str, Any] = {
            "prompt_tokens": ptok,
            "completion_tokens": completion,
            "total_tokens": ptok + completion,
        }
        if model in REASONING:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        self._calls += 1
        resp = {
            "id": f"chatcmpl-{self._calls:09d}",
            "object": "chat.completion" if prompt is None else "text_completion",
            "model": model,
            "choices": choices,
            "usage": usage,
        }
        gen_s = ttft * (1 + ptok / 8000) + per_tok * completion
        latency = 1000 * gen_s * float(rng.lognormal(0, 0.25))
        self._write(a, ts, endpoint, req, resp, 200, latency)
        return choices[0].get(
            "message", {"role": "assistant", "content": choices[0].get("text")}
        ), (ts + latency / 1000)

    def _answer(self, a, model, cap, length, style, call, content, key, json_mode=False):
        """One choice: (message, finish_reason, completion tokens, reasoning tokens)."""
        rng = a.rng
        if call is not None:
            msg = {"role": "assistant", "content": None, "tool_calls": [call]}
            return msg, "tool_calls", 12 + ntok(call["function"]["arguments"]), 0
        reasoning = 0
        if model in REASONING:
            median = EFFORT_TOKENS[a.cues.effort if a.cues.cot == "effort" else "medium"]
            reasoning = max(16, int(rng.lognormal(np.log(median), 0.7)))
        visible = ntok(content) if content is not None else max(1, int(length))
        finish = "stop"
        if cap is not None and reasoning + visible > cap:
            finish = "length"
            reasoning = min(reasoning, cap)
            visible = cap - reasoning
        if content is not None and visible == ntok(content):
            text = content
        elif content is not None:
            text = content[: 4 * visible]
        else:
            text = self.texts.make(style, visible, key) if visible else ""
            if json_mode and len(text) > 16:  # response_format json_object: an object, same size
                text = '{"answer": ' + json.dumps(text[:-16], ensure_ascii=False) + "}"
        msg: dict[str, Any] = {"role": "assistant", "content": text}
        if model == "m-open-reason":
            msg["reasoning_content"] = self.texts.make("steps", reasoning, key + "r")
        return msg, finish, visible + reasoning, reasoning

    @staticmethod
    def _logprobs(rng, tokens: int, top: int, first: str | None) -> dict:
        """Per output token, its logprob and the top alternatives (the sampled token first)."""
        entries = []
        for _ in range(tokens):
            lps = np.sort(-rng.exponential(2.0, max(top, 1)))[::-1]
            alts = [
                {"token": f"t{int(rng.integers(100000))}", "logprob": round(float(x), 4)}
                for x in lps
            ]
            if first:
                alts[0]["token"] = first
            entries.append(
                {
                    "token": alts[0]["token"],
                    "logprob": alts[0]["logprob"],
                    "top_logprobs": alts[:top],
                }
            )
        return {"content": entries}

    @staticmethod
    def _write(a: Account, ts, endpoint, req, resp, status, latency) -> None:
        c, rng = a.cues, a.rng
        if c.ip_mode in ("many",):  # end users behind the app: a few heavy, a long tail
            ip = c.ips[min(int(rng.zipf(1.3)) - 1, len(c.ips) - 1)]
        else:
            ip = c.ips[int(rng.integers(len(c.ips)))]
        ev: dict[str, Any] = {
            "ts": iso(ts),
            "account": a.id,
            "key": c.keys[int(rng.integers(len(c.keys)))],
        }
        if c.org:
            ev["org"] = c.org
        ev.update(ip=ip, user_agent=c.user_agent, endpoint=endpoint, request=req)
        if resp is not None:
            ev["response"] = resp
        ev["status"] = status
        ev["latency_ms"] = round(latency, 1)
        a.events.append((ts, json.dumps(ev, ensure_ascii=False, separators=(",", ":"))))
