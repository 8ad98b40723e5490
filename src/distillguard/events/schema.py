"""Typed, immutable events: the in-memory form of one line of docs/events.md.

`parse_event` turns a decoded JSON object into an `Event`, or raises `FieldError`
naming the dotted path of the first bad field. It checks types of every field the
spec says distillguard reads and ignores the rest, as the spec requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# FieldError and parse_ts are part of this module's interface; the readers live apart.
from distillguard.events.fields import FieldError as FieldError
from distillguard.events.fields import (
    content_text,
    read_bool,
    read_int,
    read_num,
    read_object,
    read_str,
    type_name,
)
from distillguard.events.fields import parse_ts as parse_ts

ENDPOINTS = frozenset({"chat.completions", "completions", "embeddings", "responses"})
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


_new_object = object.__new__
_set_role = Message.__dict__["role"].__set__
_set_content = Message.__dict__["content"].__set__


def _message_of(role: str, content: str) -> Message:
    """`Message(role, content)`, built by filling its two slots: a frozen dataclass's own
    __init__ goes through object.__setattr__ for each field, and this runs for every
    message of every event the reader parses."""
    m: Message = _new_object(Message)
    _set_role(m, role)
    _set_content(m, content)
    return m


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


# About this many characters of English text make one token: the count a log without
# `usage` is read with.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class Response:
    choices: tuple[Choice, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None

    def answer_tokens(self) -> tuple[int, int]:
        """The answer's completion tokens (its reasoning included, as `usage` counts them) and
        the reasoning tokens among them: from `usage`, or, where the log has the answer but no
        count (a stream's log has none unless the client asked for it), estimated from the
        text of its choices (`CHARS_PER_TOKEN`)."""
        if self.completion_tokens is not None:
            return self.completion_tokens, self.reasoning_tokens or 0
        content = sum([len(c.content) for c in self.choices])
        thought = sum([len(c.reasoning_content or "") for c in self.choices])
        reasoning = self.reasoning_tokens or thought // CHARS_PER_TOKEN
        return content // CHARS_PER_TOKEN + reasoning, reasoning


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


def _message(m: Any, i: int) -> Message:
    path = f"request.messages[{i}]"
    if not isinstance(m, dict):
        raise FieldError(path, f"must be an object, got {type_name(m)}")
    role = m.get("role")
    if not isinstance(role, str):
        raise FieldError(f"{path}.role", f"must be a string, got {type_name(role)}")
    return Message(role, content_text(m.get("content"), f"{path}.content"))


def _responses_input(req: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A Responses API request in its own shape (`instructions`, `input` items), logged
    as sent, as chat messages: the system turn, then each turn with a role, and tool
    results (`function_call_output`) as `tool` turns."""
    from distillguard.events import shapes  # only for this shape: the hot path stays lean

    return shapes.responses_request(dict(req), "request")


def _messages(req: Mapping[str, Any], endpoint: str) -> tuple[Message, ...]:
    raw = req.get("messages")
    if raw is None and endpoint == "responses" and ("input" in req or "instructions" in req):
        raw = _responses_input(req)
    if raw is not None:
        if not isinstance(raw, list):
            raise FieldError("request.messages", f"must be a list, got {type_name(raw)}")
        out = []
        for m in raw:
            # Fast path for the common shape (the reader's hot loop): a plain dict with
            # string role and content. Anything else takes the checked path, which names
            # the field; both build the same Message.
            if type(m) is dict:
                role = m.get("role")
                content = m.get("content")
                if type(role) is str and type(content) is str:
                    out.append(_message_of(role, content))
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
    # The completions API also takes token ids (an evaluation harness sends them): each
    # prompt is then its ids as text, so equal prompts stay equal and others differ.
    if isinstance(prompt, list) and prompt and all(_token_ids(p) for p in prompt):
        return tuple(Message("user", " ".join(map(str, p))) for p in prompt)
    if _token_ids(prompt):
        return (Message("user", " ".join(map(str, prompt))),)
    raise FieldError(
        "request.prompt",
        f"must be a string, a list of strings or token ids, got {type_name(prompt)}",
    )


def _token_ids(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(type(t) is int for t in v)


def _logit_bias(req: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    v = req.get("logit_bias")
    if v is None:
        return ()
    if not isinstance(v, dict):
        raise FieldError("request.logit_bias", f"must be an object, got {type_name(v)}")
    for tok, bias in v.items():
        if isinstance(bias, bool) or not isinstance(bias, int | float):
            raise FieldError(
                f"request.logit_bias.{tok}", f"must be a number, got {type_name(bias)}"
            )
    return tuple((str(k), float(b)) for k, b in v.items())


def _tools(req: Mapping[str, Any]) -> tuple[str, ...]:
    v = req.get("tools")
    if v is None:
        return ()
    if not isinstance(v, list):
        raise FieldError("request.tools", f"must be a list, got {type_name(v)}")
    names = []
    for t in v:
        fn = t.get("function") if isinstance(t, dict) else None
        # Chat nests the name in `function`; the Responses API keeps it on the tool.
        if isinstance(fn, dict):
            name = fn.get("name")
        else:
            name = t.get("name") if isinstance(t, dict) and fn is None else None
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
            f"must be true, false or (completions) an integer, got {type_name(v)} {v!r}",
        )
    top = read_int(req, "top_logprobs", "request.")
    if v is None or isinstance(v, bool):
        return bool(v), top
    return True, top if top is not None else v


def _responses_options(
    req: Mapping[str, Any], max_tokens: int | None
) -> tuple[int | None, str | None, str | None]:
    """The Responses API's names for the answer cap, the reasoning effort and the output
    format (`max_output_tokens`, `reasoning.effort`, `text.format`), where the chat names
    are absent."""
    if max_tokens is None and req.get("max_output_tokens") is not None:
        max_tokens = read_int(req, "max_output_tokens", "request.")
    effort = read_object(req, "reasoning", "request.").get("effort")
    if effort is not None and not isinstance(effort, str):
        raise FieldError("request.reasoning.effort", f"must be a string, got {type_name(effort)}")
    return max_tokens, effort, _kind(read_object(req, "text", "request.").get("format"))


def parse_request(req: Any, endpoint: str) -> Request:
    if not isinstance(req, dict):
        raise FieldError("request", f"must be an object, got {type_name(req)}")
    p = "request."
    # Hot path of the reader (see benchmarks/reader): most keys are absent from a given
    # request and most present values have the expected type, so read each with `get`
    # and call the checking helper only for a present value that needs it. The helpers
    # give the same values and errors, and fields are checked in the same order.
    get = req.get
    v = get("max_completion_tokens")
    max_tokens = None if v is None else read_int(req, "max_completion_tokens", p)
    if max_tokens is None:
        v = get("max_tokens")
        max_tokens = v if v is None or type(v) is int else read_int(req, "max_tokens", p)
    messages = _messages(req, endpoint)
    if endpoint == "responses":
        max_tokens, native_effort, native_format = _responses_options(req, max_tokens)
    else:
        native_effort = native_format = None
    v = get("model")
    model = v if v is None or type(v) is str else read_str(req, "model", p)
    v = get("temperature")
    temperature = v if v is None or type(v) is float else read_num(req, "temperature", p)
    v = get("top_p")
    top_p = v if v is None or type(v) is float else read_num(req, "top_p", p)
    v = get("n")
    n = 1 if v is None else read_int(req, "n", p) or 1
    if get("logprobs") is None and get("top_logprobs") is None:
        logprobs, top_logprobs = False, None
    else:
        logprobs, top_logprobs = _logprobs(req)
    logit_bias = () if get("logit_bias") is None else _logit_bias(req)
    tools = () if get("tools") is None else _tools(req)
    tool_choice = _kind(get("tool_choice"))
    response_format = _kind(get("response_format")) or native_format
    v = get("seed")
    seed = None if v is None else read_int(req, "seed", p)
    v = get("stream")
    stream = v if type(v) is bool else read_bool(req, "stream", p)
    v = get("reasoning_effort")
    effort = v if v is None or type(v) is str else read_str(req, "reasoning_effort", p)
    effort = effort or native_effort
    # Positional, in field order: keyword arguments cost a fifth more, once per event.
    return Request(
        messages,
        model,
        temperature,
        top_p,
        n,
        max_tokens,
        logprobs,
        top_logprobs,
        logit_bias,
        tools,
        tool_choice,
        response_format,
        seed,
        stream,
        effort,
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
                return Choice(content, None, 0, finish, c.get("logprobs") is not None)
    return _checked_choice(c, i)


def _checked_choice(c: Any, i: int) -> Choice:
    path = f"response.choices[{i}]"
    if not isinstance(c, dict):
        raise FieldError(path, f"must be an object, got {type_name(c)}")
    msg = c.get("message")
    if msg is None:
        text = c.get("text")
        if text is not None and not isinstance(text, str):
            raise FieldError(f"{path}.text", f"must be a string, got {type_name(text)}")
        return Choice(content=text or "", finish_reason=read_str(c, "finish_reason", path + "."))
    if not isinstance(msg, dict):
        raise FieldError(f"{path}.message", f"must be an object, got {type_name(msg)}")
    calls = msg.get("tool_calls")
    return Choice(
        content=content_text(msg.get("content"), f"{path}.message.content"),
        reasoning_content=read_str(msg, "reasoning_content", f"{path}.message."),
        tool_calls=len(calls) if isinstance(calls, list) else 0,
        finish_reason=read_str(c, "finish_reason", path + "."),
        has_logprobs=c.get("logprobs") is not None,
    )


_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})  # read-only: shared by every response


def parse_response(resp: Any) -> Response | None:
    if resp is None:
        return None
    if not isinstance(resp, dict):
        raise FieldError("response", f"must be an object, got {type_name(resp)}")
    choices = resp.get("choices")
    if choices is None and isinstance(resp.get("output"), list):
        from distillguard.events import shapes  # a Responses API response, as for requests

        resp = shapes.responses_response(resp)
        choices = resp["choices"]
    if choices is None:
        choices = []
    elif not isinstance(choices, list):
        raise FieldError("response.choices", f"must be a list, got {type_name(choices)}")
    usage = resp.get("usage")
    if type(usage) is not dict:  # fast path as in parse_request: the checked read otherwise
        usage = read_object(resp, "usage", "response.")
    details = usage.get("completion_tokens_details")
    if details is None:
        details = _NO_DETAILS
    elif type(details) is not dict:
        details = read_object(usage, "completion_tokens_details", "response.usage.")
    parsed = tuple([_choice(c, i) for i, c in enumerate(choices)])  # before the token counts
    u = "response.usage."
    prompt = usage.get("prompt_tokens")
    if prompt is not None and type(prompt) is not int:
        prompt = read_int(usage, "prompt_tokens", u)
    completion = usage.get("completion_tokens")
    if completion is not None and type(completion) is not int:
        completion = read_int(usage, "completion_tokens", u)
    reasoning = details.get("reasoning_tokens")
    if reasoning is not None and type(reasoning) is not int:
        reasoning = read_int(details, "reasoning_tokens", u + "completion_tokens_details.")
    return Response(parsed, prompt, completion, reasoning)


def parse_event(obj: Any) -> Event:
    """Build an `Event` from one decoded JSON object; raise `FieldError` if it is not valid."""
    if not isinstance(obj, dict):
        raise FieldError("", f"line must be a JSON object, got {type_name(obj)}")
    for required in ("ts", "account", "request"):
        if required not in obj:
            raise FieldError(required, "is required and missing")
    account = obj["account"]
    if not isinstance(account, str) or not account:
        raise FieldError("account", f"must be a non-empty string, got {type_name(account)}")
    # The reader's hot path: read each optional field with `get` and call its checking
    # helper only for a value of an unexpected type (see parse_request). Fields are
    # checked in the same order as before, so the first bad one is still the one named.
    get = obj.get
    v = get("endpoint")
    endpoint = (v if type(v) is str else read_str(obj, "endpoint", "")) or "chat.completions"
    if endpoint not in ENDPOINTS:
        raise FieldError("endpoint", f"{endpoint!r} is not one of {sorted(ENDPOINTS)}")
    ts = parse_ts(obj["ts"])
    request = parse_request(obj["request"], endpoint)
    response = parse_response(get("response"))
    key, org, ip, agent = get("key"), get("org"), get("ip"), get("user_agent")
    if key is not None and type(key) is not str:
        key = read_str(obj, "key", "")
    if org is not None and type(org) is not str:
        org = read_str(obj, "org", "")
    if ip is not None and type(ip) is not str:
        ip = read_str(obj, "ip", "")
    if agent is not None and type(agent) is not str:
        agent = read_str(obj, "user_agent", "")
    v = get("status")
    status = (v if type(v) is int else read_int(obj, "status", "")) or 200
    v = get("latency_ms")
    latency = v if v is None or type(v) is float else read_num(obj, "latency_ms", "")
    return Event(
        ts,
        account,
        request,
        response,
        key,
        org,
        ip,
        agent,
        endpoint,
        status,
        latency,
        MappingProxyType(obj),
    )
