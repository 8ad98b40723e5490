"""The OpenAPI document: valid OpenAPI 3.1, covering every route of the app, agreeing with what
`parse_body` accepts and refuses, and served by a live gateway without a token."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest
import schemathesis
from gateway_harness import Gateway, gateway_settings
from starlette.routing import Route
from test_bodies import FULL_CHAT, HOSTILE, LIMITS

from distillguard.gateway import build_app
from distillguard.gateway.openapi import openapi_document
from distillguard.gateway.upstreams import Endpoint
from distillguard.settings import load_settings

# The limits `test_bodies` checks `parse_body` with, as settings: the document then says the same.
SETTINGS = load_settings(
    overrides={
        "server": {
            "max_messages": LIMITS.max_messages,
            "max_n": LIMITS.max_n,
            "max_logit_bias": LIMITS.max_logit_bias,
            "max_tokens": LIMITS.max_tokens,
        },
        "models": {"*": "simulated"},  # any model name: the bodies use several
    }
)
DOC = openapi_document(SETTINGS)
BODY_SCHEMAS = {Endpoint.CHAT: "ChatCompletionRequest", Endpoint.COMPLETIONS: "CompletionRequest"}


def body_validator(endpoint: Endpoint) -> jsonschema_rs.Validator:
    root = {"$ref": f"#/components/schemas/{BODY_SCHEMAS[endpoint]}", **DOC}
    return jsonschema_rs.Draft202012Validator(root)


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(DOC).validate()  # against the OpenAPI 3.1 meta-schema
    orjson.dumps(DOC)  # JSON as it stands: no tuples, sets or enums left in it


def test_the_validator_would_see_a_broken_document() -> None:
    broken = {**DOC, "paths": {"/x": {"get": {"responses": 5}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_route_of_the_app_is_documented_and_nothing_else(tmp_path: Any) -> None:
    app = build_app(gateway_settings(tmp_path, admin={"token": "t" * 16}))
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"  # Starlette adds it to every GET
    }
    documented = {(path, method) for path, item in DOC["paths"].items() for method in item}
    assert served == documented
    app.state.store.close()


def test_v1_and_admin_need_their_bearer_tokens_and_the_rest_none() -> None:
    for path, item in DOC["paths"].items():
        for operation in item.values():
            wanted = {"/v1": "ApiKey", "/admin": "AdminToken"}.get(path[: path.find("/", 1)])
            assert operation["security"] == ([{wanted: []}] if wanted else []), path
            if wanted:
                assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }


@pytest.mark.parametrize(("body", "endpoint", "param"), HOSTILE, ids=lambda v: None)
def test_the_document_refuses_what_parse_body_refuses(
    body: Any, endpoint: Endpoint, param: str
) -> None:
    decoded = orjson.loads(body) if isinstance(body, bytes) else body
    assert not body_validator(endpoint).is_valid(decoded), param


@pytest.mark.parametrize(
    ("body", "endpoint"),
    [
        (FULL_CHAT, Endpoint.CHAT),
        ({"model": "m", "prompt": ["a", "b"], "logprobs": 5, "best_of": 4}, Endpoint.COMPLETIONS),
        ({"model": "m", "prompt": "a", "logprobs": True, "stop": None}, Endpoint.COMPLETIONS),
    ],
)
def test_the_document_accepts_what_parse_body_accepts(
    body: dict[str, Any], endpoint: Endpoint
) -> None:
    errors = [e.message for e in body_validator(endpoint).iter_errors(body)]
    assert errors == []


def test_a_live_gateway_serves_it_without_a_token(gateway: Gateway) -> None:
    r = httpx.get(gateway.url + "/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    served = r.json()
    assert served["paths"].keys() == DOC["paths"].keys()
    chat = served["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert chat["model"] == {"enum": ["sim-large", "sim-small"]}  # the models it routes
