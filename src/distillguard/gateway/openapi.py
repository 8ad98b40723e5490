"""The gateway's OpenAPI 3.1 document, served at `GET /openapi.json` without a token.

Written by hand to say what `bodies` and the admin API accept (types, ranges, the limits of
`[server]`), so that clients can check a request before sending it and fuzzers
(tests/gateway/test_fuzz_api.py) can aim at what the gateway should accept and refuse. A
request the document allows may still be refused: a tier's answer cap or allowed parameters,
its rate limits, an unknown id. A null field is read as an absent one, as `bodies` reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from distillguard.events.schema import ROLES
from distillguard.gateway import bodies
from distillguard.settings import WILDCARD_MODEL, Settings
from distillguard.store import AccountStatus, CaseStatus, Verification
from distillguard.store.records import ORG_TYPES
from distillguard.store.text import LONG_CHARS, SHORT_CHARS

Schema = dict[str, Any]
STR, NUM, INT, BOOL, OBJ = ({"type": k} for k in "string number integer boolean object".split())
_NO_CONTROLS = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"  # as store.text checks names and authors
_ADMIN_LIMIT = 10_000  # admin_cases._MAX_LIMIT


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def maybe(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def o(required: str = "", /, **properties: Schema) -> Schema:
    """An object with `properties`, of which the space-separated `required` must be there."""
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = required.split()
    return out


def same(schema: Schema, names: str) -> dict[str, Schema]:  # each of the space-separated names
    return dict.fromkeys(names.split(), schema)


def null_or(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def either(*schemas: Schema) -> Schema:
    return {"anyOf": list(schemas)}


def array(items: Schema, **limits: int) -> Schema:
    return {"type": "array", "items": items, **limits}


def enum(values: Any) -> Schema:
    return {"enum": [getattr(v, "value", v) for v in values]}


def between(kind: str, low: float, high: float) -> Schema:
    return maybe({"type": kind, "minimum": low, "maximum": high})


NAME = {"type": "string", "minLength": 1, "maxLength": bodies.MAX_NAME_CHARS}
TEXT = {"type": "string", "minLength": 1, "maxLength": SHORT_CHARS, "pattern": _NO_CONTROLS}
LONG_TEXT = {"type": "string", "minLength": 1, "maxLength": LONG_CHARS}


def _not(kind: str) -> Schema:
    return {"type": "string", "minLength": 1, "not": {"const": kind}}


# -- the request bodies of /v1, as `bodies.parse_body` checks them
def _message_schemas() -> dict[str, Schema]:
    extras = same(maybe(STR), "name tool_call_id refusal reasoning_content")
    extras["tool_calls"] = maybe(array(ref("ToolCall")))
    content = either(STR, array(ref("ContentPart")))
    said = enum(sorted(ROLES - {"assistant", "function"}))  # these must have content
    call = o("name", name=NAME, arguments=maybe(STR))
    return {
        "Message": either(
            o("role content", role=said, content=content, **extras),
            o("role", role=enum(["assistant", "function"]), content=maybe(content), **extras),
        ),
        "ContentPart": either(
            o("type text", type={"const": "text"}, text=STR),
            o("type", type=_not("text"), text=STR),
        ),
        "ToolCall": either(
            o("function", id=maybe(STR), type=maybe({"const": "function"}), function=call),
            o("type", id=maybe(STR), type=_not("function")),  # a custom tool's call
        ),
    }


def _tool_schemas() -> dict[str, Schema]:
    json_schema = o("name", name=NAME, schema=maybe(OBJ), strict=maybe(BOOL))
    plain_formats = [f for f in bodies.RESPONSE_FORMATS if f != "json_schema"]
    return {
        "Function": o(
            "name", name=NAME, description=maybe(STR), parameters=maybe(OBJ), strict=maybe(BOOL)
        ),
        "Tool": either(
            o("type function", type={"const": "function"}, function=ref("Function")),
            o("type", type=_not("function")),
        ),
        "ToolChoice": either(
            {"type": "null"},
            enum(bodies.TOOL_CHOICES),
            o("type function", type={"const": "function"}, function=o("name", name=NAME)),
            o("type", type=_not("function")),
        ),
        "ResponseFormat": either(
            {"type": "null"},
            o("type", type=enum(plain_formats)),
            o("type json_schema", type={"const": "json_schema"}, json_schema=json_schema),
        ),
    }


def _common_fields(settings: Settings) -> Schema:
    server = settings.server
    answer = between("integer", 1, server.max_tokens)
    named = sorted(m for m in settings.models if m != WILDCARD_MODEL)
    bias = {
        "type": "object",
        "maxProperties": server.max_logit_bias,
        "propertyNames": {"pattern": "^[0-9]{1,10}$"},
        "additionalProperties": {"type": "number", "minimum": -100, "maximum": 100},
    }
    return {
        "model": NAME if WILDCARD_MODEL in settings.models else enum(named),
        **same(answer, "max_tokens max_completion_tokens"),
        "n": between("integer", 1, server.max_n),
        "seed": maybe({**INT, "minimum": -(2**63), "maximum": 2**63 - 1}),
        "top_logprobs": between("integer", 0, bodies.MAX_TOP_LOGPROBS),
        "temperature": between("number", 0, 2),
        "top_p": between("number", 0, 1),
        **same(between("number", -2, 2), "presence_penalty frequency_penalty"),
        **same(maybe(BOOL), "stream parallel_tool_calls store"),
        **same(maybe(STR), "user reasoning_effort service_tier"),
        "stream_options": maybe(o(include_usage=maybe(BOOL), include_obfuscation=maybe(BOOL))),
        "stop": maybe(either(STR, array(STR, maxItems=bodies.MAX_STOP))),
        "logit_bias": maybe(bias),
        "tools": maybe(array(ref("Tool"), maxItems=bodies.MAX_TOOLS)),
        "functions": maybe(array(ref("Function"), maxItems=bodies.MAX_TOOLS)),
        "tool_choice": ref("ToolChoice"),
        "function_call": either({"type": "null"}, enum(bodies.TOOL_CHOICES), o("name", name=NAME)),
        "response_format": ref("ResponseFormat"),
    }


def _request_schemas(settings: Settings) -> dict[str, Schema]:
    common, most = _common_fields(settings), settings.server.max_messages
    legacy = either(null_or("boolean"), between("integer", 0, bodies.MAX_TOP_LOGPROBS))
    chat = o(
        "model messages",
        **common,
        messages=array(ref("Message"), minItems=1, maxItems=most),
        logprobs=maybe(BOOL),
    )
    completion = o(
        "model prompt",
        **common,
        prompt=either(STR, array(STR, minItems=1, maxItems=most)),
        logprobs=legacy,  # how many alternatives, or a flag
        best_of=between("integer", 1, settings.server.max_n),
        echo=maybe(BOOL),
        suffix=maybe(STR),
    )
    chat["not"] = {"required": ["prompt"]}  # a prompt is for /v1/completions
    completion["not"] = {"required": ["messages"]}
    return {"ChatCompletionRequest": chat, "CompletionRequest": completion}


# -- answers and errors
def _answer_schemas() -> dict[str, Schema]:
    choice = o(index=INT, finish_reason=maybe(STR))
    usage = o(**same(INT, "prompt_tokens completion_tokens total_tokens"))
    model = o("id object", id=STR, object={"const": "model"}, created=INT, owned_by=STR)
    answer = o("choices", **same(STR, "id object"), created=INT, model=maybe(STR))
    answer["properties"].update(choices=array(choice), usage=maybe(usage))
    error = o("message type param code", **same(STR, "message type"))
    error["properties"].update(same(null_or("string"), "param code"))
    return {
        "Completion": answer,
        "ModelList": o("object data", object={"const": "list"}, data=array(model)),
        "Error": o("error", error=error),
    }


# -- the admin API (gateway/admin.py, admin_cases.py, admin_body.py)
def _admin_schemas() -> dict[str, Schema]:
    attributes = {"verification": maybe(enum(Verification)), "affiliated_developer": maybe(BOOL)}
    attributes["org_type"] = maybe(enum(sorted(ORG_TYPES)))
    account = o("id name tier status", **same(STR, "id name tier"), status=enum(AccountStatus))
    account["properties"].update(
        **same(null_or("string"), "org org_type"),
        created_at=NUM,
        verification=enum(Verification),
        affiliated_developer=BOOL,
        detection=null_or("object"),
    )
    key = o("id account_id created_at revoked_at", **same(STR, "id account_id"))
    key["properties"].update(created_at=NUM, revoked_at=null_or("number"))
    limits = same(INT, "requests_per_min tokens_per_min daily_tokens")
    tier = o("name allowed_params", name=STR, allowed_params=null_or("array"), **limits)
    note = o(at=NUM, **same(STR, "author kind text"))
    case = o("id kind subject status members notes", **same(STR, "id kind subject level"))
    case["properties"].update(
        **same(NUM, "opened_at updated_at risk"),
        status=enum(CaseStatus),
        members=array(STR),
        evidence=OBJ,
        assignee=null_or("string"),
        notes=array(note),
    )
    audit = o("at actor action subject reason", **same(STR, "actor action subject reason"))
    audit["properties"].update(at=NUM, detail=OBJ, id=null_or("integer"))
    return {
        "Account": account,
        "AccountCreate": o("name", name=TEXT, tier=maybe(TEXT), org=maybe(TEXT), **attributes),
        "AccountPatch": o(**attributes),
        "ApiKey": key,
        "IssuedKey": o("key secret", key=ref("ApiKey"), secret=STR),
        "Tier": tier,
        "Detection": o("enabled", enabled=BOOL, accounts=array(OBJ), campaigns=array(OBJ)),
        "Case": case,
        "AuditEntry": audit,
        "Assignment": o("author assignee", author=TEXT, assignee=TEXT),
        "Comment": o("author text", author=TEXT, text=LONG_TEXT),
        "Decision": o("author reason", author=TEXT, reason=LONG_TEXT),
    }


# -- operations
_REASONS = {
    400: "A field or parameter is not valid; `param` names it",
    401: "No valid key or token",
    403: "The account is suspended",
    404: "No such model, record or route, or the admin API is off",
    413: "The body is over `server.max_body_bytes`",
    429: "A rate limit, a daily budget or too many wrong tokens; see Retry-After",
    502: "The model server failed",
    503: "The account store is unavailable",
    504: "The model server did not answer in time",
}
_V1_ERRORS = (400, 401, 403, 404, 413, 429, 502, 504)
_ADMIN_ERRORS = (400, 401, 404, 429, 503)


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def op(
    op_id: str,
    ok: tuple[int, Schema],
    errors: tuple[int, ...] = (),
    *,
    body: str | None = None,
    security: str | None = None,
    params: tuple[Schema, ...] = (),
) -> Schema:
    status, schema = ok
    done = "Created" if status == 201 else "OK"
    responses = {str(status): {"description": done, "content": _json(schema)}}
    for code in errors:
        responses[str(code)] = {"description": _REASONS[code], "content": _json(ref("Error"))}
    out: Schema = {"operationId": op_id, "responses": responses}
    out["security"] = [{security: []}] if security else []
    if body is not None:
        out["requestBody"] = {"required": True, "content": _json(ref(body))}
    if params:
        out["parameters"] = list(params)
    return out


def _v1(op_id: str, ok: Schema, body: str | None = None) -> Schema:
    return op(op_id, (200, ok), _V1_ERRORS, body=body, security="ApiKey")


def _admin(op_id: str, ok: Schema, status: int = 200, **kw: Any) -> Schema:
    errors = (*_ADMIN_ERRORS, 413) if "body" in kw else _ADMIN_ERRORS
    return op(op_id, (status, ok), errors, security="AdminToken", **kw)


def _on(op_id: str, ok: Schema, body: str | None = None, status: int = 200) -> Schema:
    """An admin operation on the record named by the `{id}` in its path."""
    return _admin(op_id, ok, status, params=(_ID,), **({"body": body} if body else {}))


def _data(name: str) -> Schema:
    return o("data", data=array(ref(name)))


def _query(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _limit(default: int) -> Schema:
    return _query("limit", {**INT, "minimum": 1, "maximum": _ADMIN_LIMIT, "default": default})


_ID = {"name": "id", "in": "path", "required": True, "schema": STR}
_EVENT = o("data", data=STR, event=STR, id=STR)  # one server-sent event; data is a chunk's JSON


def _paths() -> Schema:
    chat = _v1("createChatCompletion", ref("Completion"), "ChatCompletionRequest")
    completion = _v1("createCompletion", ref("Completion"), "CompletionRequest")
    for streams in (chat, completion):  # with "stream": true, server-sent events
        streams["responses"]["200"]["content"]["text/event-stream"] = {"schema": _EVENT}
    metrics = op("metrics", (200, STR))
    metrics["responses"]["200"]["content"] = {"text/plain": {"schema": STR}}
    account, case = ref("Account"), ref("Case")
    return {
        "/v1/chat/completions": {"post": chat},
        "/v1/completions": {"post": completion},
        "/v1/models": {"get": _v1("listModels", ref("ModelList"))},
        "/healthz": {"get": op("health", (200, o("status", status={"const": "ok"})))},
        "/metrics": {"get": metrics},
        "/openapi.json": {"get": op("openapi", (200, OBJ))},
        "/admin/accounts": {
            "get": _admin("listAccounts", _data("Account")),
            "post": _admin("createAccount", account, 201, body="AccountCreate"),
        },
        "/admin/accounts/{id}": {
            "get": _on("getAccount", account),
            "patch": _on("setAttributes", account, "AccountPatch"),
        },
        "/admin/accounts/{id}/suspend": {"post": _on("suspendAccount", account)},
        "/admin/accounts/{id}/activate": {"post": _on("activateAccount", account)},
        "/admin/accounts/{id}/keys": {
            "get": _on("listKeys", _data("ApiKey")),
            "post": _on("createKey", ref("IssuedKey"), status=201),
        },
        "/admin/keys/{id}/revoke": {"post": _on("revokeKey", ref("ApiKey"))},
        "/admin/tiers": {"get": _admin("listTiers", _data("Tier"))},
        "/admin/detection": {"get": _admin("detection", ref("Detection"))},
        "/admin/cases": {
            "get": _admin(
                "listCases", _data("Case"), params=(_query("status", enum(CaseStatus)), _limit(100))
            )
        },
        "/admin/cases/{id}": {"get": _on("getCase", case)},
        "/admin/cases/{id}/assign": {"post": _on("assignCase", case, "Assignment")},
        "/admin/cases/{id}/comment": {"post": _on("commentCase", case, "Comment")},
        "/admin/cases/{id}/confirm": {"post": _on("confirmCase", case, "Decision")},
        "/admin/cases/{id}/dismiss": {"post": _on("dismissCase", case, "Decision")},
        "/admin/audit": {
            "get": _admin(
                "auditLog",
                _data("AuditEntry"),
                params=(_query("subject", {**TEXT, "minLength": 0}), _limit(1000)),
            )
        },
    }


def openapi_document(settings: Settings) -> Schema:
    """The OpenAPI 3.1 document of a gateway run with `settings`, as a JSON-ready dict."""
    schemas = _request_schemas(settings) | _message_schemas() | _tool_schemas()
    schemas |= _answer_schemas() | _admin_schemas()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "distillguard gateway",
            "version": "1",
            "description": "An OpenAI-compatible gateway that detects capability extraction.",
        },
        "paths": _paths(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ApiKey": {"type": "http", "scheme": "bearer", "description": "An API key"},
                "AdminToken": {"type": "http", "scheme": "bearer", "description": "[admin] token"},
            },
        },
    }


def openapi_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """The `GET /openapi.json` handler; the document is built once, when the app is."""
    body = orjson.dumps(openapi_document(settings))

    async def openapi(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return openapi
