"""The official openai client against the real gateway: answers, streams and errors."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import httpx
import openai
import pytest
from gateway_harness import Gateway

from distillguard.store import AccountStatus

ASK = [{"role": "user", "content": "Explain step by step why the sky is blue."}]


def test_chat_completion(gateway: Gateway) -> None:
    r = gateway.client().chat.completions.create(model="sim-large", messages=ASK)
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content
    assert r.usage is not None and r.usage.completion_tokens > 0
    again = gateway.client().chat.completions.create(model="sim-large", messages=ASK)
    assert again.choices[0].message.content == r.choices[0].message.content  # deterministic


def test_max_tokens_cuts_the_answer(gateway: Gateway) -> None:
    r = gateway.client().chat.completions.create(
        model="sim-large",
        messages=ASK,
        max_tokens=5,
        n=2,
    )
    assert [c.finish_reason for c in r.choices] == ["length", "length"]
    assert r.usage is not None and r.usage.completion_tokens == 10


def test_streaming_matches_the_plain_answer(gateway: Gateway) -> None:
    client = gateway.client()
    plain = client.chat.completions.create(model="sim-small", messages=ASK)
    chunks = list(
        client.chat.completions.create(
            model="sim-small",
            messages=ASK,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert len(chunks) > 3
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_completions_and_models(gateway: Gateway) -> None:
    client = gateway.client()
    r = client.completions.create(model="sim-small", prompt="Once upon a time", max_tokens=8)
    assert r.object == "text_completion"
    assert len(r.choices[0].text.split()) == 8
    streamed = client.completions.create(model="sim-small", prompt="Once upon a time", stream=True)
    assert "".join(c.choices[0].text for c in streamed).strip()
    assert sorted(m.id for m in client.models.list()) == ["sim-large", "sim-small"]


def test_stream_is_relayed_chunk_by_chunk(start_gateway: Callable[..., Gateway]) -> None:
    # 30 tokens, 3 a chunk, 15 ms a token: ~45 ms between chunks, ~450 ms in all.
    gw = start_gateway(upstreams={"simulated": {"token_ms": 15, "median_tokens": 1000}})
    started = time.perf_counter()
    arrivals = []
    stream = gw.client().chat.completions.create(
        model="sim-large",
        messages=ASK,
        max_tokens=30,
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.perf_counter() - started)
    assert len(arrivals) == 10
    # The first words came long before the last: relayed as made, not buffered to the end.
    # (Measured between chunks, not from the request: its key check may wait on a busy CPU.)
    assert arrivals[-1] - arrivals[0] > 0.25
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert sum(g > 0.02 for g in gaps) >= 7  # spread out, as the upstream produced them


def test_missing_and_bad_keys_are_401(gateway: Gateway) -> None:
    for secret in ("sk-proj-abc", "sk-dg-000000000000-nope", gateway.secret[:-2] + "zz"):
        with pytest.raises(openai.AuthenticationError) as err:
            gateway.client(secret).chat.completions.create(model="sim-large", messages=ASK)
        assert err.value.status_code == 401
        assert err.value.code == "invalid_api_key"
    assert httpx.get(gateway.url + "/v1/models").status_code == 401


def test_revoked_key_is_401(gateway: Gateway) -> None:
    account, secret = gateway.new_key()
    assert gateway.client(secret).models.list()
    key_id = gateway.store.list_keys(account.id)[0].id
    gateway.store.revoke_key(key_id)
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        gateway.client(secret).models.list()


def test_suspended_account_is_403(gateway: Gateway) -> None:
    account, secret = gateway.new_key()
    gateway.store.set_status(account.id, AccountStatus.SUSPENDED)
    with pytest.raises(openai.PermissionDeniedError) as err:
        gateway.client(secret).chat.completions.create(model="sim-large", messages=ASK)
    assert err.value.code == "account_suspended"
    assert account.id in err.value.message


def test_rate_limit_is_429_with_retry_after(gateway: Gateway) -> None:
    _, secret = gateway.new_key(tier="tiny")  # 2 requests a minute
    client = gateway.client(secret)
    for _ in range(2):
        client.chat.completions.create(model="sim-large", messages=ASK)
    with pytest.raises(openai.RateLimitError) as err:
        client.chat.completions.create(model="sim-large", messages=ASK)
    assert err.value.code == "rate_limit_exceeded"
    assert 25 <= int(err.value.response.headers["retry-after"]) <= 30


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": ASK}, "model"),
        ({"model": "sim-large"}, "messages"),
        ({"model": "sim-large", "messages": []}, "messages"),
        (
            {"model": "sim-large", "messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
        ),
        (
            {"model": "sim-large", "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
        ),
        ({"model": "sim-large", "messages": ASK, "temperature": 7}, "temperature"),
        ({"model": "sim-large", "messages": ASK, "max_tokens": 0}, "max_tokens"),
        ({"model": "sim-large", "messages": ASK, "stream": "yes"}, "stream"),
        ({"model": "sim-large", "messages": ASK, "logit_bias": []}, "logit_bias"),
    ],
)
def test_malformed_body_is_400_naming_the_field(
    gateway: Gateway, body: dict[str, object], param: str
) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.secret}"},
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param
    assert param.split("[")[0] in error["message"]
    assert error["type"] == "invalid_request_error"


def test_not_json_is_400(gateway: Gateway) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        content=b"{nope",
        headers={"authorization": f"Bearer {gateway.secret}"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"


def test_client_surfaces_400_and_404(gateway: Gateway) -> None:
    client = gateway.client()
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="sim-large", messages=ASK, top_p=3)
    assert err.value.param == "top_p"
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-nope", messages=ASK)
    assert missing.value.code == "model_not_found"


def test_tier_refuses_parameters_it_does_not_allow(gateway: Gateway) -> None:
    _, secret = gateway.new_key(tier="trial")
    client = gateway.client(secret)
    client.chat.completions.create(model="sim-large", messages=ASK, temperature=0.2)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="sim-large", messages=ASK, logprobs=True)
    assert err.value.param == "logprobs"
    assert err.value.code == "param_not_allowed"


def test_unknown_route_is_openai_json(gateway: Gateway) -> None:
    r = httpx.get(gateway.url + "/v1/nothing")
    assert r.status_code == 404
    assert "/v1/chat/completions" in r.json()["error"]["message"]
    assert httpx.get(gateway.url + "/v1/chat/completions").status_code == 405
