"""Check a request body before it goes upstream; a problem is a 400 naming the field.

The checks cover what an upstream would reject anyway (so no round trip is wasted), what the
gateway itself reads (token estimates, the policy, the simulated model: none of them may meet a
type it does not expect, or the client would get a 500), and everything the event format reads
(so each answered request makes a valid event). Every value is checked by its exact JSON type:
`true` is not a number, and a list or object is never compared with a set of names.

Fields the gateway does not know pass through untouched, for upstreams that know them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.events import FieldError
from distillguard.events.schema import ROLES, parse_request
from distillguard.gateway.api_errors import ApiError, bad_request
from distillguard.gateway.upstreams import Endpoint
from distillguard.settings import Settings
from distillguard.store import Tier

# Limits of the OpenAI API that are not settings: an upstream refuses past them anyway.
MAX_STOP = 4
MAX_TOOLS = 128
MAX_TOP_LOGPROBS = 20  # lm-eval's legacy completions ask for up to 20 alternatives too
MAX_NAME_CHARS = 256  # a model or tool name; longer ones would only be echoed back in errors
_INT64 = (-(2**63), 2**63 - 1)
_SHOWN_CHARS = 60  # of a bad value, in the message: enough to recognise it, never the whole body
_MAY_OMIT_CONTENT = frozenset({"assistant", "function"})  # its tool calls stand for it
TOOL_CHOICES = ("none", "auto", "required")
RESPONSE_FORMATS = ("text", "json_object", "json_schema")
_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
_FLAGS = ("stream", "parallel_tool_calls", "echo", "store")
_TEXTS = ("user", "suffix", "reasoning_effort", "service_tier")


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """What one request of a tier may ask for (`[server]`, and `max_tokens` per tier)."""

    max_messages: int
    max_n: int
    max_logit_bias: int
    max_tokens: int

    @classmethod
    def of(cls, settings: Settings, tier_name: str) -> RequestLimits:
        server = settings.server
        tier = settings.tiers.get(tier_name)
        cap = tier.max_tokens if tier is not None and tier.max_tokens else server.max_tokens
        return cls(server.max_messages, server.max_n, server.max_logit_bias, cap)


def parse_body(raw: bytes, endpoint: Endpoint, tier: Tier, limits: RequestLimits) -> dict[str, Any]:
    """The decoded body, or an `ApiError` 400 naming the first bad field."""
    body = _decoded(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model or len(model) > MAX_NAME_CHARS:
        raise _missing_or_bad("model", model, "a model name such as 'sim-large'")
    if endpoint is Endpoint.CHAT:
        _check_chat(body, limits)
    else:
        _check_completion(body, limits)
    _check_counts(body, endpoint, tier, limits)
    _check_sampling(body, limits)
    _check_tools(body)
    _check_as_event(body, endpoint)
    refused = tier.disallowed(body)
    if refused:
        raise bad_request(
            f"'{refused[0]}' is not allowed on tier '{tier.name}'; remove it or move the "
            "account to a tier that allows it.",
            refused[0],
            "param_not_allowed",
        )
    return body


def _decoded(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise bad_request(f"The body is not valid JSON ({err}).", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", None, "invalid_json")
    try:  # orjson reads 1,024 levels but writes 255: the upstream call and the event need both
        orjson.dumps(body)
    except TypeError:
        raise bad_request(
            "The body is nested too deeply (more than 255 levels).", None, "invalid_json"
        ) from None
    return body


# -- messages and prompts
def _check_chat(body: dict[str, Any], limits: RequestLimits) -> None:
    if "prompt" in body:  # the token estimate would read it in place of the messages
        raise _wrong_endpoint("prompt", "messages", "/v1/completions")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _missing_or_bad("messages", messages, "a non-empty list of {role, content}")
    if len(messages) > limits.max_messages:
        raise bad_request(
            f"'messages' may hold at most {limits.max_messages} messages, got {len(messages)}; "
            "shorten the conversation.",
            "messages",
        )
    for i, m in enumerate(messages):
        _check_message(m, f"messages[{i}]")


def _check_message(m: Any, where: str) -> None:
    if not isinstance(m, dict):
        raise _bad(where, "an object with role and content", m)
    role = m.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise _bad(f"{where}.role", f"one of {sorted(ROLES)}", role)
    content = m.get("content")
    if content is not None:
        _check_content(content, f"{where}.content")
    elif role not in _MAY_OMIT_CONTENT:
        raise _missing_or_bad(f"{where}.content", content, "a string or a list of content parts")
    for name in ("name", "tool_call_id", "refusal", "reasoning_content"):
        _optional(m, name, str, "a string", where)
    if m.get("tool_calls") is not None:
        _check_tool_calls(m["tool_calls"], f"{where}.tool_calls")


def _check_content(content: Any, where: str) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _bad(where, "a string or a list of content parts", content)
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(part, dict):
            raise _bad(at, "an object such as {'type': 'text', 'text': '...'}", part)
        kind = part.get("type")
        if not isinstance(kind, str) or not kind:
            raise _bad(f"{at}.type", "a part type such as 'text' or 'image_url'", kind)
        # The token estimate reads `text` of any part, so it must be a string wherever it is.
        if (kind == "text" or "text" in part) and not isinstance(part.get("text"), str):
            raise _bad(f"{at}.text", "a string", part.get("text"))


def _check_tool_calls(calls: Any, where: str) -> None:
    if not isinstance(calls, list):
        raise _bad(where, "a list of tool calls", calls)
    for k, call in enumerate(calls):
        at = f"{where}[{k}]"
        if not isinstance(call, dict):
            raise _bad(at, "an object {id, type, function}", call)
        _optional(call, "id", str, "a string", at)
        kind = _kind(call, at, required=False)
        if kind in (None, "function"):
            fn = _required(call, "function", dict, "an object {name, arguments}", at)
            _name(fn, f"{at}.function")
            _optional(fn, "arguments", str, "a string (JSON text)", f"{at}.function")


def _check_completion(body: dict[str, Any], limits: RequestLimits) -> None:
    if "messages" in body:  # the event would read them in place of the prompt
        raise _wrong_endpoint("messages", "prompt", "/v1/chat/completions")
    prompt = body.get("prompt")
    ok = isinstance(prompt, str) or (
        isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
    )
    if not ok:
        raise _missing_or_bad("prompt", prompt, "a string or a non-empty list of strings")
    if isinstance(prompt, list) and len(prompt) > limits.max_messages:
        raise bad_request(
            f"'prompt' may hold at most {limits.max_messages} prompts, got {len(prompt)}.",
            "prompt",
        )


# -- numbers, flags and options
def _check_counts(
    body: dict[str, Any], endpoint: Endpoint, tier: Tier, limits: RequestLimits
) -> None:
    on_tier = f" on tier '{tier.name}'"
    for name in ("max_tokens", "max_completion_tokens"):
        _int_in(body, name, 1, limits.max_tokens, "a positive integer", on_tier)
    _int_in(body, "n", 1, limits.max_n, "a positive integer")
    _int_in(body, "best_of", 1, limits.max_n, "a positive integer")
    _int_in(body, "seed", *_INT64, "a 64-bit integer")
    _int_in(body, "top_logprobs", 0, MAX_TOP_LOGPROBS, "an integer from 0")
    logprobs = _whole(body, "logprobs")
    if endpoint is Endpoint.COMPLETIONS and type(logprobs) is int:  # how many alternatives
        _int_in(body, "logprobs", 0, MAX_TOP_LOGPROBS, "true, false or an integer from 0")
    elif logprobs is not None and not isinstance(logprobs, bool):
        raise _bad("logprobs", "true or false", logprobs)


def _check_sampling(body: dict[str, Any], limits: RequestLimits) -> None:
    for name, (low, high) in _RANGES.items():
        v = body.get(name)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high
        ):
            raise _bad(name, f"a number from {low} to {high}", v)
    for name in _FLAGS:
        _optional(body, name, bool, "true or false", "")
    for name in _TEXTS:
        _optional(body, name, str, "a string", "")
    options = _optional(body, "stream_options", dict, "an object {include_usage}", "")
    if options is not None:
        for name in ("include_usage", "include_obfuscation"):
            _optional(options, name, bool, "true or false", "stream_options")
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str):
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise _bad("stop", f"a string or a list of up to {MAX_STOP} strings", stop)
        if len(stop) > MAX_STOP:
            raise _bad("stop", f"a list of at most {MAX_STOP} strings", stop)
    _check_logit_bias(body.get("logit_bias"), limits)
    _check_response_format(body.get("response_format"))


def _check_logit_bias(bias: Any, limits: RequestLimits) -> None:
    if bias is None:
        return
    if not isinstance(bias, dict):
        raise _bad("logit_bias", "an object of token id to bias", bias)
    if len(bias) > limits.max_logit_bias:
        raise bad_request(
            f"'logit_bias' may name at most {limits.max_logit_bias} tokens, got {len(bias)}.",
            "logit_bias",
        )
    for token, value in bias.items():
        if not (token.isascii() and token.isdigit() and len(token) <= 10):
            raise bad_request(
                f"'logit_bias' keys must be token ids (digits), got {_shown(token)}.",
                "logit_bias",
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 100:
            raise _bad(f"logit_bias.{token}", "a number from -100 to 100", value)


def _check_response_format(fmt: Any) -> None:
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise _bad("response_format", "an object such as {'type': 'json_object'}", fmt)
    kind = fmt.get("type")
    if not isinstance(kind, str) or kind not in RESPONSE_FORMATS:
        raise _bad("response_format.type", f"one of {list(RESPONSE_FORMATS)}", kind)
    if kind == "json_schema":
        spec = _required(fmt, "json_schema", dict, "an object {name, schema}", "response_format")
        _name(spec, "response_format.json_schema")
        _optional(spec, "schema", dict, "an object (a JSON Schema)", "response_format.json_schema")
        _optional(spec, "strict", bool, "true or false", "response_format.json_schema")


# -- tools
def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or len(tools) > MAX_TOOLS:
            raise _bad("tools", f"a list of at most {MAX_TOOLS} tools", tools)
        for i, tool in enumerate(tools):
            _check_tool(tool, f"tools[{i}]")
    functions = body.get("functions")  # the legacy form of tools
    if functions is not None:
        if not isinstance(functions, list) or len(functions) > MAX_TOOLS:
            raise _bad("functions", f"a list of at most {MAX_TOOLS} functions", functions)
        for i, fn in enumerate(functions):
            _check_function(fn, f"functions[{i}]")
    _check_choice(body, "tool_choice", "tool_choice")
    _check_choice(body, "function_call", "function_call")


def _check_tool(tool: Any, where: str) -> None:
    if not isinstance(tool, dict):
        raise _bad(where, "an object {type, function}", tool)
    kind = _kind(tool, where)
    if kind == "function":
        _check_function(_required(tool, "function", dict, "an object", where), f"{where}.function")


def _check_function(fn: Any, where: str) -> None:
    if not isinstance(fn, dict):
        raise _bad(where, "an object {name, description, parameters}", fn)
    _name(fn, where)
    _optional(fn, "description", str, "a string", where)
    _optional(fn, "parameters", dict, "an object (a JSON Schema)", where)
    _optional(fn, "strict", bool, "true or false", where)


def _check_choice(body: dict[str, Any], key: str, where: str) -> None:
    """`tool_choice` (and legacy `function_call`): a mode, or an object naming one function."""
    choice = body.get(key)
    if choice is None or (isinstance(choice, str) and choice in TOOL_CHOICES):
        return
    if not isinstance(choice, dict):
        raise _bad(where, f"one of {list(TOOL_CHOICES)} or an object naming a function", choice)
    if key == "function_call":
        _name(choice, where)
        return
    kind = _kind(choice, where)
    if kind == "function":
        _name(_required(choice, "function", dict, "an object {name}", where), f"{where}.function")


# -- the event, and small readers
def _check_as_event(body: dict[str, Any], endpoint: Endpoint) -> None:
    """What the checks above let through must also make a valid event (docs/events.md)."""
    try:
        parse_request(body, endpoint.value)
    except FieldError as err:
        field = err.field.removeprefix("request.")
        raise bad_request(f"'{field}' {err.problem}.", field) from None


def _whole(body: dict[str, Any], name: str) -> Any:
    """`body[name]`, with a whole number written as a float (`2.0`: JSON Schema's integers
    include it) made an int in the body, so that nothing past here meets `range(2.0)`. orjson
    reads an integer past 64 bits as a float, -2**63 - 1 as -2.0**63: a float that large stays
    a float, and is refused."""
    v = body.get(name)
    if type(v) is float and v.is_integer() and abs(v) < 2.0**63:
        v = body[name] = int(v)
    return v


def _int_in(
    body: dict[str, Any], name: str, low: int, high: int, wanted: str, where: str = ""
) -> None:
    v = _whole(body, name)
    if v is None:
        return
    if type(v) is not int or v < low:
        raise _bad(name, wanted, v)
    if v > high:
        raise bad_request(f"'{name}' must be at most {high}{where}, got {v}.", name)


def _name(obj: Mapping[str, Any], where: str) -> str:
    name = _required(obj, "name", str, "a non-empty name", where)
    if not name or len(name) > MAX_NAME_CHARS:
        raise _bad(f"{where}.name", f"a name of 1 to {MAX_NAME_CHARS} characters", name)
    return str(name)


def _kind(obj: Mapping[str, Any], where: str, *, required: bool = True) -> str | None:
    """The `type` of a tool, tool call or tool choice: a non-empty string."""
    kind = obj.get("type")
    if kind is None and not required:
        return None
    if not isinstance(kind, str) or not kind:
        raise _missing_or_bad(f"{where}.type", kind, "a type such as 'function'")
    return kind


def _optional(obj: Mapping[str, Any], key: str, kind: type, wanted: str, where: str) -> Any:
    v = obj.get(key)
    if v is not None and not isinstance(v, kind):
        raise _bad(f"{where}.{key}" if where else key, wanted, v)
    return v


def _required(obj: Mapping[str, Any], key: str, kind: type, wanted: str, where: str) -> Any:
    v = obj.get(key)
    if not isinstance(v, kind):
        raise _missing_or_bad(f"{where}.{key}", v, wanted)
    return v


def _shown(value: Any) -> str:
    """A bad value as the message shows it: its repr, cut (a body may be megabytes)."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _bad(name: str, wanted: str, value: Any) -> ApiError:
    return bad_request(f"'{name}' must be {wanted}, got {_shown(value)}.", name)


def _missing_or_bad(name: str, value: Any, wanted: str) -> ApiError:
    if value is None:
        return bad_request(f"'{name}' is required: {wanted}.", name, "missing_required_parameter")
    return _bad(name, wanted, value)


def _wrong_endpoint(name: str, instead: str, endpoint: str) -> ApiError:
    return bad_request(
        f"'{name}' is not a field of this endpoint; send '{instead}', or send '{name}' to "
        f"{endpoint}.",
        name,
    )
