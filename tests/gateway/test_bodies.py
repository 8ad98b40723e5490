"""Request bodies: every hostile input is a 400 naming the field, never a 500, and the limits of
`[server]` and of the tier hold; checked on `parse_body` directly and through a live gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from gateway_harness import Gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.gateway.api_errors import ApiError
from distillguard.gateway.bodies import RequestLimits, parse_body
from distillguard.gateway.upstreams import Endpoint
from distillguard.settings import load_settings
from distillguard.store import Tier

CHAT, COMPLETIONS = Endpoint.CHAT, Endpoint.COMPLETIONS
OPEN = Tier("open")
LIMITS = RequestLimits(max_messages=8, max_n=4, max_logit_bias=3, max_tokens=1000)
ASK = [{"role": "user", "content": "Why is the sky blue?"}]
FN = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "sim-large", "messages": ASK, **fields}


def said(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "sim-large", "messages": list(messages)}


def completion(**fields: Any) -> dict[str, Any]:
    return {"model": "sim-large", "prompt": "def f():", **fields}


def part(**fields: Any) -> dict[str, Any]:
    return said({"role": "user", "content": [fields]})


def refusal(body: Any, endpoint: Endpoint = CHAT, tier: Tier = OPEN) -> ApiError:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(ApiError) as err:
        parse_body(raw, endpoint, tier, LIMITS)
    assert err.value.status == 400
    return err.value


HOSTILE: list[tuple[Any, Endpoint, str]] = [
    # unhashable or odd roles: once a TypeError in `role not in ROLES`
    (said({"role": [], "content": "x"}), CHAT, "messages[0].role"),
    (said({"role": {}, "content": "x"}), CHAT, "messages[0].role"),
    (said({"role": None, "content": "x"}), CHAT, "messages[0].role"),
    (said({"role": 5, "content": "x"}), CHAT, "messages[0].role"),
    (said({"role": "robot", "content": "x"}), CHAT, "messages[0].role"),
    # a prompt on chat was read by the token estimate in place of the messages
    (chat(prompt=[1]), CHAT, "prompt"),
    (chat(prompt="hi"), CHAT, "prompt"),
    ({"model": "m", "prompt": "x", "messages": ASK}, COMPLETIONS, "messages"),
    (completion(prompt=[1]), COMPLETIONS, "prompt"),
    (completion(prompt=[]), COMPLETIONS, "prompt"),
    (completion(prompt={"a": 1}), COMPLETIONS, "prompt"),
    (completion(prompt=["x"] * 9), COMPLETIONS, "prompt"),
    ({"prompt": "x"}, COMPLETIONS, "model"),
    (chat(model=True), CHAT, "model"),
    (chat(model=["sim-large"]), CHAT, "model"),
    (chat(model=""), CHAT, "model"),
    (chat(model="m" * 1000), CHAT, "model"),
    ({"model": "m", "messages": {}}, CHAT, "messages"),
    ({"model": "m", "messages": "hi"}, CHAT, "messages"),
    ({"model": "m", "messages": ASK * 9}, CHAT, "messages"),
    ({"model": "m", "messages": [[]]}, CHAT, "messages[0]"),
    ({"model": "m", "messages": [None]}, CHAT, "messages[0]"),
    # content and its parts
    (said({"role": "user", "content": {}}), CHAT, "messages[0].content"),
    (said({"role": "user", "content": None}), CHAT, "messages[0].content"),
    (said({"role": "user"}), CHAT, "messages[0].content"),
    (said({"role": "user", "content": [1]}), CHAT, "messages[0].content[0]"),
    (part(type=[]), CHAT, "messages[0].content[0].type"),
    (part(text="x"), CHAT, "messages[0].content[0].type"),
    (part(type="text", text=5), CHAT, "messages[0].content[0].text"),
    (part(type="text"), CHAT, "messages[0].content[0].text"),
    (part(type="image_url", text=[1]), CHAT, "messages[0].content[0].text"),
    (said({"role": "user", "content": "x", "name": 5}), CHAT, "messages[0].name"),
    (said({"role": "tool", "content": "x", "tool_call_id": {}}), CHAT, "messages[0].tool_call_id"),
    # tool calls of an assistant message
    (said({"role": "assistant", "tool_calls": {}}), CHAT, "messages[0].tool_calls"),
    (said({"role": "assistant", "tool_calls": [1]}), CHAT, "messages[0].tool_calls[0]"),
    (
        said({"role": "assistant", "tool_calls": [{"function": "f"}]}),
        CHAT,
        "messages[0].tool_calls[0].function",
    ),
    (
        said({"role": "assistant", "tool_calls": [{"type": 1, "function": {}}]}),
        CHAT,
        "messages[0].tool_calls[0].type",
    ),
    (
        said({"role": "assistant", "tool_calls": [{**CALL, "function": {"name": 5}}]}),
        CHAT,
        "messages[0].tool_calls[0].function.name",
    ),
    (
        said(
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "f", "arguments": {}}}],
            }
        ),
        CHAT,
        "messages[0].tool_calls[0].function.arguments",
    ),
    # whole numbers: bools, floats, text, out of range, past 64 bits
    (chat(max_tokens=True), CHAT, "max_tokens"),
    (chat(max_tokens=1.5), CHAT, "max_tokens"),
    (chat(max_tokens="10"), CHAT, "max_tokens"),
    (chat(max_tokens=-1), CHAT, "max_tokens"),
    (chat(max_tokens=0), CHAT, "max_tokens"),
    (chat(max_tokens=1001), CHAT, "max_tokens"),
    (b'{"model":"m","prompt":"x","max_tokens":18446744073709551616}', COMPLETIONS, "max_tokens"),
    (chat(max_tokens=2**64 - 1), CHAT, "max_tokens"),
    (b'{"model":"m","prompt":"x","max_tokens":1e30}', COMPLETIONS, "max_tokens"),
    (chat(max_completion_tokens=10**9), CHAT, "max_completion_tokens"),
    (chat(max_completion_tokens=[]), CHAT, "max_completion_tokens"),
    (chat(n=True), CHAT, "n"),
    (chat(n=0), CHAT, "n"),
    (chat(n=5), CHAT, "n"),
    (chat(n=2**63), CHAT, "n"),
    (completion(best_of=5), COMPLETIONS, "best_of"),
    (chat(seed="1"), CHAT, "seed"),
    (chat(seed=1.5), CHAT, "seed"),
    (chat(seed=2**64 - 1), CHAT, "seed"),
    (b'{"model":"m","prompt":"x","seed":-9223372036854775809}', COMPLETIONS, "seed"),
    (chat(seed=2.0**63), CHAT, "seed"),
    (chat(n=4.5), CHAT, "n"),
    (chat(top_logprobs=21), CHAT, "top_logprobs"),
    (chat(top_logprobs=-1), CHAT, "top_logprobs"),
    (chat(top_logprobs=True), CHAT, "top_logprobs"),
    (chat(logprobs=1), CHAT, "logprobs"),
    (chat(logprobs="yes"), CHAT, "logprobs"),
    (completion(logprobs=21), COMPLETIONS, "logprobs"),
    (completion(logprobs=-1), COMPLETIONS, "logprobs"),
    (completion(logprobs=[]), COMPLETIONS, "logprobs"),
    # real numbers and flags
    (chat(temperature=True), CHAT, "temperature"),
    (chat(temperature="1"), CHAT, "temperature"),
    (chat(temperature=[1]), CHAT, "temperature"),
    (chat(temperature=1e308), CHAT, "temperature"),
    (chat(temperature=-0.1), CHAT, "temperature"),
    (chat(top_p={}), CHAT, "top_p"),
    (chat(presence_penalty=3), CHAT, "presence_penalty"),
    (chat(frequency_penalty="x"), CHAT, "frequency_penalty"),
    (chat(stream=1), CHAT, "stream"),
    (chat(stream="true"), CHAT, "stream"),
    (chat(parallel_tool_calls="yes"), CHAT, "parallel_tool_calls"),
    (completion(echo=0), COMPLETIONS, "echo"),
    (chat(stream_options="usage"), CHAT, "stream_options"),
    (chat(stream_options={"include_usage": "yes"}), CHAT, "stream_options.include_usage"),
    (chat(user=5), CHAT, "user"),
    (chat(reasoning_effort=5), CHAT, "reasoning_effort"),
    (chat(stop=5), CHAT, "stop"),
    (chat(stop=[1]), CHAT, "stop"),
    (chat(stop=["a"] * 5), CHAT, "stop"),
    (chat(stop={"a": 1}), CHAT, "stop"),
    # logit_bias
    (chat(logit_bias=[]), CHAT, "logit_bias"),
    (chat(logit_bias={"x": 1}), CHAT, "logit_bias"),
    (chat(logit_bias={"１": 1}), CHAT, "logit_bias"),  # a full-width digit
    (chat(logit_bias={"1" * 40: 1}), CHAT, "logit_bias"),
    (chat(logit_bias={"1": True}), CHAT, "logit_bias.1"),
    (chat(logit_bias={"1": 101}), CHAT, "logit_bias.1"),
    (chat(logit_bias={"1": "5"}), CHAT, "logit_bias.1"),
    (chat(logit_bias={"1": None}), CHAT, "logit_bias.1"),
    (chat(logit_bias={str(i): 1 for i in range(4)}), CHAT, "logit_bias"),
    # tools, tool_choice, response_format and their legacy forms
    (chat(tools={}), CHAT, "tools"),
    (chat(tools=[FN] * 129), CHAT, "tools"),
    (chat(tools=[1]), CHAT, "tools[0]"),
    (chat(tools=[{"type": 5}]), CHAT, "tools[0].type"),
    (chat(tools=[{"type": "function"}]), CHAT, "tools[0].function"),
    (chat(tools=[{"type": "function", "function": {"name": []}}]), CHAT, "tools[0].function.name"),
    (chat(tools=[{"type": "function", "function": {"name": ""}}]), CHAT, "tools[0].function.name"),
    (
        chat(tools=[{"type": "function", "function": {"name": "f", "parameters": "x"}}]),
        CHAT,
        "tools[0].function.parameters",
    ),
    (chat(tool_choice=5), CHAT, "tool_choice"),
    (chat(tool_choice="sometimes"), CHAT, "tool_choice"),
    (chat(tool_choice={}), CHAT, "tool_choice.type"),
    (chat(tool_choice={"type": "function"}), CHAT, "tool_choice.function"),
    (
        chat(tool_choice={"type": "function", "function": {"name": {}}}),
        CHAT,
        "tool_choice.function.name",
    ),
    (chat(functions={}), CHAT, "functions"),
    (chat(functions=[{"name": 1}]), CHAT, "functions[0].name"),
    (chat(function_call=5), CHAT, "function_call"),
    (chat(function_call={"name": 1}), CHAT, "function_call.name"),
    (chat(response_format="json"), CHAT, "response_format"),
    (chat(response_format={"type": []}), CHAT, "response_format.type"),
    (chat(response_format={"type": "yaml"}), CHAT, "response_format.type"),
    (chat(response_format={"type": "json_schema"}), CHAT, "response_format.json_schema"),
    (
        chat(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": []}}),
        CHAT,
        "response_format.json_schema.schema",
    ),
]


@pytest.mark.parametrize(("body", "endpoint", "param"), HOSTILE, ids=lambda v: None)
def test_a_hostile_body_is_a_400_naming_the_field(
    body: Any, endpoint: Endpoint, param: str
) -> None:
    err = refusal(body, endpoint)
    assert err.param == param, err.message
    assert f"'{param}'" in err.message
    assert len(err.message) < 400  # the bad value is shown cut, never whole


NOT_JSON = [b"{nope", b"[]", b'"x"', b"5", b"\xff", b"[" * 2000, b""]
NOT_JSON += [b'{"model": "m", "prompt": "x", "temperature": %s}' % n for n in (b"NaN", b"1e400")]


@pytest.mark.parametrize("raw", NOT_JSON)
def test_a_body_that_is_not_a_json_object_is_invalid_json(raw: bytes) -> None:
    err = refusal(raw)
    assert (err.param, err.code) == (None, "invalid_json")


FULL_CHAT = chat(
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url"}]},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    ],
    tools=[FN],
    tool_choice={"type": "function", "function": {"name": "lookup"}},
    response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
    stop=["\n\n"],
    logit_bias={"15": -100, "16": 2.5},
    stream=True,
    stream_options={"include_usage": True},
    seed=-(2**63),
    logprobs=True,
    top_logprobs=20,
    max_completion_tokens=1000,
    n=4,
    temperature=0,
    top_p=1,
    user="u-1",
    extra_field_for_the_upstream={"anything": [1, None, {"x": "y"}]},
)


@pytest.mark.parametrize(
    ("body", "endpoint"),
    [
        (chat(), CHAT),
        (FULL_CHAT, CHAT),
        (completion(prompt=["a", "b"], logprobs=5, echo=True, suffix="x", best_of=4), COMPLETIONS),
        (completion(logprobs=True, max_tokens=1000), COMPLETIONS),
    ],
)
def test_a_valid_body_passes_unchanged(body: dict[str, Any], endpoint: Endpoint) -> None:
    assert parse_body(orjson.dumps(body), endpoint, OPEN, LIMITS) == body


def test_whole_numbers_written_as_floats_are_made_ints() -> None:
    # JSON Schema's integers include 2.0; past this point the gateway (and the simulated
    # model's `range(n)`) sees ints only.
    body = chat(n=2.0, max_tokens=10.0, seed=2.0**62, top_logprobs=3.0)
    parsed = parse_body(orjson.dumps(body), CHAT, OPEN, LIMITS)
    assert parsed == chat(n=2, max_tokens=10, seed=2**62, top_logprobs=3)
    assert all(type(parsed[k]) is int for k in ("n", "max_tokens", "seed", "top_logprobs"))
    legacy = parse_body(orjson.dumps(completion(logprobs=5.0)), COMPLETIONS, OPEN, LIMITS)
    assert type(legacy["logprobs"]) is int


def test_the_tier_cap_names_the_tier() -> None:
    err = refusal(chat(max_tokens=10**9), tier=Tier("free"))
    assert err.message == "'max_tokens' must be at most 1000 on tier 'free', got 1000000000."


def test_limits_come_from_the_server_and_the_tier() -> None:
    s = load_settings(
        overrides={
            "server": {"max_messages": 5, "max_n": 3, "max_logit_bias": 7, "max_tokens": 900},
            "tiers": {"small": {"max_tokens": 50}, "plain": {}},
        }
    )
    assert RequestLimits.of(s, "small") == RequestLimits(5, 3, 7, 50)
    assert RequestLimits.of(s, "plain").max_tokens == 900  # 0: the server's cap
    assert RequestLimits.of(s, "not-in-settings").max_tokens == 900


# Any JSON at all, and valid bodies with one field replaced by any JSON: a body or a 400.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = sorted({*FULL_CHAT, "prompt", "best_of", "echo", "functions", "function_call"})


def _body_or_400(body: Any, endpoint: Endpoint) -> None:
    try:
        raw = orjson.dumps(body)
    except orjson.JSONEncodeError:  # an integer past 64 bits: no client can send it either
        return
    try:
        parse_body(raw, endpoint, OPEN, LIMITS)
    except ApiError as err:
        assert err.status == 400
        assert err.param is not None or err.code == "invalid_json"


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(body=JSON, endpoint=st.sampled_from([CHAT, COMPLETIONS]))
def test_any_json_is_a_body_or_a_400(body: Any, endpoint: Endpoint) -> None:
    _body_or_400(body, endpoint)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(name=st.sampled_from(FIELDS), value=JSON, nested=st.booleans())
def test_a_valid_body_with_one_field_replaced_is_a_body_or_a_400(
    name: str, value: Any, nested: bool
) -> None:
    body = dict(FULL_CHAT)
    if nested:  # inside the messages, where the parts and tool calls are
        messages = [dict(m) for m in body["messages"]]
        messages[2][name if name in messages[2] else "tool_calls"] = value
        body["messages"] = messages
    else:
        body[name] = value
    _body_or_400(body, CHAT)


# -- through a live gateway
def _post(gw: Gateway, body: Any, path: str = "/v1/chat/completions") -> httpx.Response:
    headers = {"authorization": f"Bearer {gw.secret}"}
    return httpx.post(gw.url + path, content=orjson.dumps(body), headers=headers)


@pytest.mark.parametrize(
    ("body", "path", "param"),
    [
        (said({"role": [], "content": "x"}), "/v1/chat/completions", "messages[0].role"),
        (said({"role": {}, "content": "x"}), "/v1/chat/completions", "messages[0].role"),
        (chat(prompt=[1]), "/v1/chat/completions", "prompt"),
        (part(type="image_url", text=[1]), "/v1/chat/completions", "messages[0].content[0].text"),
        (chat(logit_bias={"1": 1e300}), "/v1/chat/completions", "logit_bias.1"),
        (completion(prompt=[1]), "/v1/completions", "prompt"),
    ],
)
def test_the_gateway_answers_hostile_bodies_with_openai_400s(
    gateway: Gateway, body: Any, path: str, param: str
) -> None:
    r = _post(gateway, body, path)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["param"], error["type"]) == (param, "invalid_request_error")


def test_the_gateway_holds_the_tier_answer_cap(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway(tiers={"open": {"max_tokens": 64}}, server={"max_n": 2})
    too_long = _post(gw, chat(max_tokens=1_000_000_000))
    assert too_long.status_code == 400
    assert too_long.json()["error"]["message"] == (
        "'max_tokens' must be at most 64 on tier 'open', got 1000000000."
    )
    assert _post(gw, chat(n=3)).json()["error"]["param"] == "n"
    ok = _post(gw, chat(max_completion_tokens=64, n=2))
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["choices"]) == 2
