"""Typed, immutable events: the in-memory form of one line of spec/events.md.

`parse_event` turns a decoded JSON object into an `Event`, or raises `FieldError`
naming the dotted path of the first bad field. It checks types of every field the
spec says distillguard reads and ignores the rest, as the spec requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

ENDPOINTS = frozenset({"chat.completions", "completions", "embeddings", "responses"})
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class FieldError(ValueError):
    """A field of an event object is missing or has the wrong type (no file context yet)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Request:
    messages: tuple[Message, ...]
    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int = 1
    max_tokens: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    logit_bias: tuple[tuple[str, float], ...] = ()
    tools: tuple[str, ...] = ()
    tool_choice: str | None = None
    response_format: str | None = None
    seed: int | None = None
    stream: bool = False
    reasoning_effort: str | None = None

    @property
    def system_prompt(self) -> str:
        return "\n".join(m.content for m in self.messages if m.role in ("system", "developer"))

    @property
    def last_user(self) -> str:
        for m in reversed(self.messages):
            if m.role == "user":
                return m.content
        return ""

    @property
    def turns(self) -> int:
        """How many user turns the conversation holds, this one included."""
        return sum(1 for m in self.messages if m.role == "user")


@dataclass(frozen=True, slots=True)
class Choice:
    content: str = ""
    reasoning_content: str | None = None
    tool_calls: int = 0
    finish_reason: str | None = None
    has_logprobs: bool = False


@dataclass(frozen=True, slots=True)
class Response:
    choices: tuple[Choice, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    ts: float
    account: str
    request: Request
    response: Response | None = None
    key: str | None = None
    org: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    endpoint: str = "chat.completions"
    status: int = 200
    latency_ms: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def parse_ts(value: Any, name: str = "ts") -> float:
    """Unix seconds from an RFC 3339 string or a number."""
    if isinstance(value, bool):
        raise FieldError(name, "must be an RFC 3339 string or Unix seconds, got a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise FieldError(name, f"{value!r} is not an RFC 3339 timestamp") from None
        if dt.tzinfo is None:
            raise FieldError(name, f"{value!r} has no time zone; add 'Z' or an offset")
        return dt.timestamp()
    raise FieldError(name, f"must be an RFC 3339 string or Unix seconds, got {_tname(value)}")


def _tname(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    v = obj.get(key)
    if v is None or isinstance(v, str):
        return v
    raise FieldError(f"{path}{key}", f"must be a string, got {_tname(v)}")


def _int(obj: Mapping[str, Any], key: str, path: str) -> int | None:
    v = obj.get(key)
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise FieldError(f"{path}{key}", f"must be an integer, got {_tname(v)} {v!r}")


def _num(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    raise FieldError(f"{path}{key}", f"must be a number, got {_tname(v)} {v!r}")


def _bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    v = obj.get(key)
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    raise FieldError(f"{path}{key}", f"must be true or false, got {_tname(v)} {v!r}")


def _content(v: Any, path: str) -> str:
    if v is None or isinstance(v, str):
        return v or ""
    if isinstance(v, list):
        texts = []
        for i, part in enumerate(v):
            if not isinstance(part, dict):
                raise FieldError(f"{path}[{i}]", f"must be an object, got {_tname(part)}")
            if part.get("type") == "text":
                text = part.get("text")
                if not isinstance(text, str):
                    raise FieldError(f"{path}[{i}].text", f"must be a string, got {_tname(text)}")
                texts.append(text)
        return "\n".join(texts)
    raise FieldError(path, f"must be a string or a list of parts, got {_tname(v)}")


def _message(m: Any, i: int) -> Message:
    path = f"request.messages[{i}]"
    if not isinstance(m, dict):
        raise FieldError(path, f"must be an object, got {_tname(m)}")
    role = m.get("role")
    if not isinstance(role, str):
        raise FieldError(f"{path}.role", f"must be a string, got {_tname(role)}")
    return Message(role, _content(m.get("content"), f"{path}.content"))


def _messages(req: Mapping[str, Any], endpoint: str) -> tuple[Message, ...]:
    raw = req.get("messages")
    if raw is not None:
        if not isinstance(raw, list):
            raise FieldError("request.messages", f"must be a list, got {_tname(raw)}")
        out = []
        for m in raw:
            # Fast path for the common shape (the reader's hot loop): a plain dict with
            # string role and content. Anything else takes the checked path, which names
            # the field; both build the same Message.
            if type(m) is dict:
                role = m.get("role")
                content = m.get("content")
                if type(role) is str and type(content) is str:
                    out.append(Message(role, content))
                    continue
            out.append(_message(m, len(out)))
        return tuple(out)
    prompt = req.get("prompt")
    if prompt is None:
        if endpoint in ("chat.completions", "responses"):
            raise FieldError("request.messages", "is required for chat requests")
        return ()
    if isinstance(prompt, str):
        return (Message("user", prompt),)
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return tuple(Message("user", p) for p in prompt)
    raise FieldError("request.prompt", f"must be a string or list of strings, got {_tname(prompt)}")


def _logit_bias(req: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    v = req.get("logit_bias")
    if v is None:
        return ()
    if not isinstance(v, dict):
        raise FieldError("request.logit_bias", f"must be an object, got {_tname(v)}")
    for tok, bias in v.items():
        if isinstance(bias, bool) or not isinstance(bias, int | float):
            raise FieldError(f"request.logit_bias.{tok}", f"must be a number, got {_tname(bias)}")
    return tuple((str(k), float(b)) for k, b in v.items())


def _tools(req: Mapping[str, Any]) -> tuple[str, ...]:
    v = req.get("tools")
    if v is None:
        return ()
    if not isinstance(v, list):
        raise FieldError("request.tools", f"must be a list, got {_tname(v)}")
    names = []
    for t in v:
        fn = t.get("function") if isinstance(t, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else None
        names.append(name if isinstance(name, str) else "?")
    return tuple(names)


def _kind(v: Any) -> str | None:
    """`tool_choice` and `response_format` are a string or an object with a type."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, dict):
        t = v.get("type")
        return t if isinstance(t, str) else "object"
    return type(v).__name__


def _logprobs(req: Mapping[str, Any]) -> tuple[bool, int | None]:
    """`logprobs` is a boolean for chat, an integer (how many alternatives) for completions.

    A legacy integer, 0 included, still returns the chosen token's log-probability, so it
    counts as asking for logprobs; it also stands for `top_logprobs` when that is absent.
    """
    v = req.get("logprobs")
    if v is not None and not isinstance(v, int):  # bool is an int
        raise FieldError(
            "request.logprobs",
            f"must be true, false or (completions) an integer, got {_tname(v)} {v!r}",
        )
    top = _int(req, "top_logprobs", "request.")
    if v is None or isinstance(v, bool):
        return bool(v), top
    return True, top if top is not None else v


def parse_request(req: Any, endpoint: str) -> Request:
    if not isinstance(req, dict):
        raise FieldError("request", f"must be an object, got {_tname(req)}")
    p = "request."
    # Hot path of the reader (see benchmarks/reader): most keys are absent from a given
    # request and most present values have the expected type, so read each with `get`
    # and call the checking helper only for a present value that needs it. The helpers
    # give the same values and errors, and fields are checked in the same order.
    get = req.get
    v = get("max_completion_tokens")
    max_tokens = None if v is None else _int(req, "max_completion_tokens", p)
    if max_tokens is None:
        v = get("max_tokens")
        max_tokens = v if v is None or type(v) is int else _int(req, "max_tokens", p)
    messages = _messages(req, endpoint)
    v = get("model")
    model = v if v is None or type(v) is str else _str(req, "model", p)
    v = get("temperature")
    temperature = v if v is None or type(v) is float else _num(req, "temperature", p)
    v = get("top_p")
    top_p = v if v is None or type(v) is float else _num(req, "top_p", p)
    v = get("n")
    n = 1 if v is None else _int(req, "n", p) or 1
    if get("logprobs") is None and get("top_logprobs") is None:
        logprobs, top_logprobs = False, None
    else:
        logprobs, top_logprobs = _logprobs(req)
    logit_bias = () if get("logit_bias") is None else _logit_bias(req)
    tools = () if get("tools") is None else _tools(req)
    tool_choice = _kind(get("tool_choice"))
    response_format = _kind(get("response_format"))
    v = get("seed")
    seed = None if v is None else _int(req, "seed", p)
    v = get("stream")
    stream = v if type(v) is bool else _bool(req, "stream", p)
    v = get("reasoning_effort")
    effort = v if v is None or type(v) is str else _str(req, "reasoning_effort", p)
    return Request(
        messages=messages,
        model=model,
        temperature=temperature,
        top_p=top_p,
        n=n,
        max_tokens=max_tokens,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        logit_bias=logit_bias,
        tools=tools,
        tool_choice=tool_choice,
        response_format=response_format,
        seed=seed,
        stream=stream,
        reasoning_effort=effort,
    )


def _choice(c: Any, i: int) -> Choice:
    # Fast path for the common shape (see parse_request): a message whose content is a
    # string, no tool calls, no reasoning; anything else takes the checked path below.
    if type(c) is dict:
        msg = c.get("message")
        if type(msg) is dict:
            content = msg.get("content")
            finish = c.get("finish_reason")
            if (
                type(content) is str
                and (finish is None or type(finish) is str)
                and msg.get("reasoning_content") is None
                and msg.get("tool_calls") is None
            ):
                return Choice(
                    content=content,
                    finish_reason=finish,
                    has_logprobs=c.get("logprobs") is not None,
                )
    return _checked_choice(c, i)


def _checked_choice(c: Any, i: int) -> Choice:
    path = f"response.choices[{i}]"
    if not isinstance(c, dict):
        raise FieldError(path, f"must be an object, got {_tname(c)}")
    msg = c.get("message")
    if msg is None:
        text = c.get("text")
        if text is not None and not isinstance(text, str):
            raise FieldError(f"{path}.text", f"must be a string, got {_tname(text)}")
        return Choice(content=text or "", finish_reason=_str(c, "finish_reason", path + "."))
    if not isinstance(msg, dict):
        raise FieldError(f"{path}.message", f"must be an object, got {_tname(msg)}")
    calls = msg.get("tool_calls")
    return Choice(
        content=_content(msg.get("content"), f"{path}.message.content"),
        reasoning_content=_str(msg, "reasoning_content", f"{path}.message."),
        tool_calls=len(calls) if isinstance(calls, list) else 0,
        finish_reason=_str(c, "finish_reason", path + "."),
        has_logprobs=c.get("logprobs") is not None,
    )


def _object(obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """An optional nested object: absent or null reads as empty, any other non-object is bad."""
    v = obj.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise FieldError(f"{path}{key}", f"must be an object, got {_tname(v)}")
    return v


def parse_response(resp: Any) -> Response | None:
    if resp is None:
        return None
    if not isinstance(resp, dict):
        raise FieldError("response", f"must be an object, got {_tname(resp)}")
    choices = resp.get("choices")
    if choices is None:
        choices = []
    elif not isinstance(choices, list):
        raise FieldError("response.choices", f"must be a list, got {_tname(choices)}")
    usage = _object(resp, "usage", "response.")
    details = _object(usage, "completion_tokens_details", "response.usage.")
    return Response(
        choices=tuple([_choice(c, i) for i, c in enumerate(choices)]),
        prompt_tokens=_int(usage, "prompt_tokens", "response.usage."),
        completion_tokens=_int(usage, "completion_tokens", "response.usage."),
        reasoning_tokens=_int(
            details, "reasoning_tokens", "response.usage.completion_tokens_details."
        ),
    )


def parse_event(obj: Any) -> Event:
    """Build an `Event` from one decoded JSON object; raise `FieldError` if it is not valid."""
    if not isinstance(obj, dict):
        raise FieldError("", f"line must be a JSON object, got {_tname(obj)}")
    for required in ("ts", "account", "request"):
        if required not in obj:
            raise FieldError(required, "is required and missing")
    account = obj["account"]
    if not isinstance(account, str) or not account:
        raise FieldError("account", f"must be a non-empty string, got {_tname(account)}")
    endpoint = _str(obj, "endpoint", "") or "chat.completions"
    if endpoint not in ENDPOINTS:
        raise FieldError("endpoint", f"{endpoint!r} is not one of {sorted(ENDPOINTS)}")
    return Event(
        ts=parse_ts(obj["ts"]),
        account=account,
        request=parse_request(obj["request"], endpoint),
        response=parse_response(obj.get("response")),
        key=_str(obj, "key", ""),
        org=_str(obj, "org", ""),
        ip=_str(obj, "ip", ""),
        user_agent=_str(obj, "user_agent", ""),
        endpoint=endpoint,
        status=_int(obj, "status", "") or 200,
        latency_ms=_num(obj, "latency_ms", ""),
        raw=MappingProxyType(obj),
    )
