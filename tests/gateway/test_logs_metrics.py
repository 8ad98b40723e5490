"""JSON access logs that never hold a key, and the Prometheus metrics."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import httpx
import openai
import orjson
import pytest
from gateway_harness import Gateway

from distillguard.gateway.logs import JsonFormatter, mask, masked

ASK = [{"role": "user", "content": "What is a monad?"}]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("distillguard")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_access_log_is_json_without_secrets(
    start_gateway: Callable[..., Gateway], json_logs: io.StringIO
) -> None:
    gw = start_gateway(logging={"prompts": True})
    gw.client().chat.completions.create(model="sim-small", messages=ASK)
    wrong = gw.secret[:-3] + "xyz"
    with pytest.raises(openai.AuthenticationError):
        gw.client(wrong).chat.completions.create(model="sim-small", messages=ASK)
    gw.stop()
    text = json_logs.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines()]
    access = [r for r in lines if r["msg"] == "request"]
    assert [r["status"] for r in access] == [200, 401]  # refusals are in the access log too
    assert access[1]["error"] == "invalid_api_key" and "account" not in access[1]
    record = access[0]
    assert record["account"] == gw.account.id
    assert record["key_id"].startswith("key_")
    assert record["status"] == 200 and record["tokens"] > 0
    assert record["request"]["messages"] == ASK  # logging.prompts = true
    for secret in (gw.secret, wrong, gw.secret.split("-", 3)[3]):
        assert secret not in text


def test_logged_prompts_are_masked_however_deep_the_secret_sits(
    start_gateway: Callable[..., Gateway], json_logs: io.StringIO
) -> None:
    gw = start_gateway(logging={"prompts": True})
    leaked_key = "sk-dg-0123456789ab-" + "L" * 43
    messages = [
        {"role": "system", "content": f"Use {leaked_key} for the API."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "call it with api_key=hunter2-api-value please"},
                {"type": "text", "text": "header: Bearer tok.en.value-xyz"},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "login",
                        "arguments": '{"user": "bo", "password": "pw-in-args-123"}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
        {"role": "user", "content": "And an upstream key sk-proj-abcdefghijklmnopqrstu?"},
    ]
    gw.client().chat.completions.create(
        model="sim-small",
        messages=messages,  # type: ignore[arg-type]
        metadata={"nested": {"deeper": {"api_key": "meta-secret-999"}}},
    )
    gw.stop()
    text = json_logs.getvalue()
    record = next(r for r in map(orjson.loads, text.splitlines()) if r["msg"] == "request")
    logged = record["request"]["messages"]
    assert logged[0]["content"] == "Use [redacted] for the API."
    assert logged[1]["content"][0]["text"] == "call it with api_key=[redacted] please"
    assert "password" in logged[2]["tool_calls"][0]["function"]["arguments"]
    for secret in (
        leaked_key,
        "hunter2-api-value",
        "tok.en.value-xyz",
        "pw-in-args-123",
        "sk-proj-abcdefghijklmnopqrstu",
        "meta-secret-999",
    ):
        assert secret not in text, secret


def test_masking_walks_nested_values_with_a_bound() -> None:
    deep: dict[str, object] = {"text": "sk-dg-0123456789ab-deep"}
    for _ in range(40):
        deep = {"next": [deep]}
    out = orjson.dumps(masked({"api_key": ["x"], "Authorization": "abc", "deep": deep}))
    assert b"sk-dg-" not in out and b'"api_key":"[redacted]"' in out
    assert b'"Authorization":"[redacted]"' in out and b"[too deep to log]" in out
    assert masked({"max_tokens": 5, "n": [1.5, None, True]}) == {
        "max_tokens": 5,
        "n": [1.5, None, True],
    }


def test_prompts_stay_out_of_logs_by_default(
    start_gateway: Callable[..., Gateway], json_logs: io.StringIO
) -> None:
    gw = start_gateway()
    gw.client().chat.completions.create(model="sim-small", messages=ASK)
    gw.stop()
    assert "monad" not in json_logs.getvalue()


def test_mask_hides_key_shapes() -> None:
    assert mask("key sk-dg-0123456789ab-S3cr_et-x here") == "key [redacted] here"
    assert mask("Authorization: Bearer abc.def") == "Authorization: [redacted]"


def test_metrics_endpoint(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway()
    client = gw.client()
    client.chat.completions.create(model="sim-small", messages=ASK)
    list(client.chat.completions.create(model="sim-small", messages=ASK, stream=True))
    with pytest.raises(openai.AuthenticationError):
        gw.client("sk-dg-000000000000-x").models.list()
    r = httpx.get(gw.url + "/metrics")
    assert r.status_code == 200
    text = r.text
    assert 'distillguard_requests_total{endpoint="chat.completions",status="200"} 2.0' in text
    assert 'distillguard_request_seconds_bucket{endpoint="chat.completions",le="+Inf"} 2.0' in text
    for name in (
        "distillguard_event_queue_depth",
        "distillguard_events_dropped_total",
        "distillguard_upstream_errors",
        "distillguard_flagged_accounts",
    ):
        assert name in text
