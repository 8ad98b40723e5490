"""Turn one record of a provider's log into one event of docs/events.md (a plain dict).

Sources (`SOURCES`), one pure function each; no I/O, no clock:

`litellm` - `litellm_to_event(row)`
    A row of LiteLLM's `LiteLLM_SpendLogs` table (a database export or `/spend/logs`).
    Read: `request_id`, `call_type`, `api_key` (already the SHA-256 of the key), `user`,
    `team_id`, `organization_id`, `end_user`, `startTime`, `endTime`, `model`,
    `model_group`, `messages` (older versions), `proxy_server_request` (the request body,
    kept when `store_prompts_in_spend_logs` is on), `response`, `prompt_tokens`,
    `completion_tokens`, `requester_ip_address`, `status`, and from `metadata`:
    `user_api_key_user_id`, `user_api_key_team_id`, `user_api_key_org_id`,
    `user_api_key_alias`, `requester_ip_address`, `status`, `error_information`.
    account = `user`, else metadata user id, else team, else the key hash. A timestamp
    without a zone is UTC: LiteLLM stores UTC in zone-less columns.

`openai-dump` - `openai_dump_to_event(record, account=None)`
    A line `{"timestamp" | "created", "request": {...}, "response": {...} | [chunks],
    "headers"?, "api_key"?, "status_code"?, "latency_ms"?, "url"?}`; `request` and
    `response` may also be HTTP wrappers `{"url", "headers", "body"}`/`{"status_code",
    "body"}`. account = header `x-account`, else `OpenAI-Organization`, else
    `OpenAI-Project`, else the record's `account`, else the `account` argument.

Secrets never reach an event: a secret key (`api_key`, a bearer token, a LiteLLM key that
still starts with `sk-`) becomes its SHA-256 hex digest, the form LiteLLM's key table uses;
LiteLLM request bodies keep only `REQUEST_FIELDS`; metadata and headers are read one named
field at a time, never copied. Each event carries `source` (format, request id) so a
finding can be traced back to the provider's own log.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from distillguard.events import shapes
from distillguard.events.fields import MAX_TS, MIN_TS
from distillguard.events.schema import FieldError
from distillguard.events.writer import format_ts

SOURCES = ("litellm", "openai-dump")
_MAX_DIGITS = 18  # of a count written as text: any such number fits 64 bits

# Request body fields an event keeps: those the spec reads and their common neighbours.
REQUEST_FIELDS = frozenset(
    {
        *("model", "messages", "prompt", "input", "temperature", "top_p", "n", "seed"),
        *("max_tokens", "max_completion_tokens", "logprobs", "top_logprobs", "logit_bias"),
        *("tools", "tool_choice", "response_format", "stream", "reasoning_effort", "stop"),
        *("presence_penalty", "frequency_penalty", "parallel_tool_calls", "functions"),
        *("function_call", "modalities", "user", "thinking"),
    }
)

_LITELLM_CALLS = {
    "completion": "chat.completions",
    "text_completion": "completions",
    "embedding": "embeddings",
    "responses": "responses",
    "anthropic_messages": "chat.completions",
}
_URL_ENDPOINTS = (
    ("/chat/completions", "chat.completions"),
    ("/completions", "completions"),
    ("/embeddings", "embeddings"),
    ("/responses", "responses"),
)


class RecordError(FieldError):
    """A foreign record lacks a field or has one distillguard cannot read."""


class UnsupportedRecord(RecordError):
    """A well-formed record of a call distillguard does not read (images, audio, ...)."""

    def __init__(self, field: str, value: str) -> None:
        self.value = value
        super().__init__(field, f"{value!r} is not a call distillguard reads")


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest, as LiteLLM's `hash_token` stores keys: ids then match its tables."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _decoded(value: Any) -> Any:
    """LiteLLM keeps JSON columns as JSON text in some exports; decode those, keep the rest."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    value = _decoded(value)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise RecordError(field, f"must be an object, got {_type(value)}")
    return value


def _text(obj: dict[str, Any], key: str, field: str = "") -> str | None:
    """A non-empty string or None; a numeric id reads as its digits."""
    v = obj.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise RecordError(field or key, f"must be a string, got {_type(v)} {v!r}")


def _count(obj: dict[str, Any], key: str, field: str = "") -> int | None:
    """A whole number, also as a float or as ASCII digits, that fits an event's 64 bits."""
    v = obj.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer() and abs(v) < 2.0**63:
        return int(v)
    # `isdigit` alone takes '²', which int() refuses; more digits would not fit 64 bits.
    if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= _MAX_DIGITS:
        return int(v)
    shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
    raise RecordError(field or key, f"must be an integer, got {_type(v)} {shown}")


def _when(value: Any, field: str) -> float:
    """Unix seconds from a number or an ISO 8601 string; a zone-less time is UTC. It must be
    within the years 1 to 9999, or the event's `ts` could not be written."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = float(value)
    elif isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(field, f"{value[:40]!r} is not an ISO 8601 timestamp") from None
        ts = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    else:
        raise RecordError(field, f"must be a timestamp, got {_type(value)} {value!r}")
    if not MIN_TS <= ts <= MAX_TS:
        raise RecordError(field, f"{value!r} is not a time between the years 1 and 9999 (UTC)")
    return ts


def _key_id(value: str | None, *, secret: bool) -> str | None:
    """An id for a key: a secret (or anything that looks like one) becomes its hash."""
    if value is None:
        return None
    if value.lower().startswith("bearer "):
        value, secret = value[7:].strip(), True
    return hash_secret(value) if secret or value.startswith("sk-") else value


def _chat_response(resp: Any, endpoint: str, field: str) -> dict[str, Any] | None:
    """A chat-shaped response body from whatever the log holds, or None if it holds none."""
    resp = _decoded(resp)
    if resp is None or resp in ("", {}, []):
        return None
    if isinstance(resp, str):  # a reply logged as bare text
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": resp}}]}
    if isinstance(resp, list):
        return shapes.assemble_stream(resp, field)
    if not isinstance(resp, dict):
        raise RecordError(field, f"must be an object, a list of chunks or text, got {_type(resp)}")
    if "output" in resp:
        return shapes.responses_response(resp)
    if resp.get("type") == "message" and isinstance(resp.get("content"), list):
        return shapes.anthropic_response(resp)
    if endpoint == "embeddings":
        return shapes.embeddings_response(resp)
    if "choices" in resp:
        return resp
    usage = resp.get("usage")  # an unknown body: keep what is countable
    return {"choices": [], "usage": usage} if isinstance(usage, dict) else None


def _with_usage(resp: dict[str, Any] | None, prompt: int | None, completion: int | None) -> Any:
    """Fill usage from the log's own token columns where the body has none."""
    if prompt is None and completion is None:
        return resp
    resp = dict(resp) if resp is not None else {"choices": []}
    usage = dict(resp["usage"]) if isinstance(resp.get("usage"), dict) else {}
    if usage.get("prompt_tokens") is None:
        usage["prompt_tokens"] = prompt
    if usage.get("completion_tokens") is None:
        usage["completion_tokens"] = completion
    resp["usage"] = usage
    return resp


def _compact(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if v is not None}


def _litellm_request(
    row: dict[str, Any], body: dict[str, Any], call_type: str, endpoint: str
) -> dict[str, Any]:
    """The chat-shaped request: from the stored body, else the older `messages` column."""
    request = {k: v for k, v in body.items() if k in REQUEST_FIELDS}
    logged = _decoded(row.get("messages"))
    if call_type.endswith("anthropic_messages"):
        request["messages"] = shapes.anthropic_request(body or {"messages": logged})
    elif endpoint == "responses":
        request["messages"] = shapes.responses_request(body, "proxy_server_request")
        request.pop("input", None)
        effort = body.get("reasoning")
        if isinstance(effort, dict) and isinstance(effort.get("effort"), str):
            request["reasoning_effort"] = effort["effort"]
    elif endpoint == "embeddings":
        request.setdefault("input", logged if isinstance(logged, str | list) else None)
    elif "messages" not in request and "prompt" not in request:
        if isinstance(logged, list):
            request["messages"] = logged
        elif isinstance(logged, str) and endpoint == "completions":
            request["prompt"] = logged
        elif isinstance(logged, str):
            request["messages"] = [{"role": "user", "content": logged}]
        elif endpoint == "chat.completions":
            request["messages"] = []  # prompts not stored: the event still counts the call
    request.setdefault("model", _text(row, "model_group") or _text(row, "model"))
    return _compact(request)


def _litellm_outcome(
    row: dict[str, Any], meta: dict[str, Any], endpoint: str
) -> tuple[int, dict[str, Any] | None]:
    """(HTTP status, chat-shaped response); a failed call has no response."""
    if (_text(row, "status") or _text(meta, "status", "metadata.status")) == "failure":
        error = _object(meta.get("error_information"), "metadata.error_information")
        code = _count(error, "error_code", "metadata.error_information.error_code")
        return (code if code is not None and 100 <= code <= 599 else 500), None
    response = _chat_response(row.get("response"), endpoint, "response")
    return 200, _with_usage(
        response, _count(row, "prompt_tokens"), _count(row, "completion_tokens")
    )


def litellm_to_event(row: Any) -> dict[str, Any]:
    """One `LiteLLM_SpendLogs` row as an event; raise `RecordError` naming the bad column."""
    if not isinstance(row, dict):
        raise RecordError("", f"a spend log row must be a JSON object, got {_type(row)}")
    call_type = _text(row, "call_type") or "acompletion"
    endpoint = _LITELLM_CALLS.get(call_type.removeprefix("a"), _LITELLM_CALLS.get(call_type))
    if endpoint is None:
        raise UnsupportedRecord("call_type", call_type)
    meta = _object(row.get("metadata"), "metadata")
    if "startTime" not in row:
        raise RecordError("startTime", "is required and missing")
    start = _when(row["startTime"], "startTime")
    end = _when(row["endTime"], "endTime") if row.get("endTime") else None

    wrapper = _object(row.get("proxy_server_request"), "proxy_server_request")
    body = wrapper["body"] if isinstance(wrapper.get("body"), dict) else wrapper
    request = _litellm_request(row, body, call_type, endpoint)
    status, response = _litellm_outcome(row, meta, endpoint)
    key = _key_id(_text(row, "api_key") or _text(meta, "user_api_key"), secret=False)
    team = _text(row, "team_id") or _text(meta, "user_api_key_team_id")
    account = _text(row, "user") or _text(meta, "user_api_key_user_id") or team or key
    if account is None:
        raise RecordError(
            "user", "no account: user, metadata user id, team_id and api_key are all empty"
        )
    headers = _object(wrapper.get("headers"), "proxy_server_request.headers")
    agent = _text(meta, "user_agent", "metadata.user_agent") or _header(headers, "user-agent")
    return _compact(
        {
            "ts": format_ts(start),
            "account": account,
            "key": key,
            "key_alias": _text(meta, "user_api_key_alias", "metadata.user_api_key_alias"),
            "org": _text(row, "organization_id") or _text(meta, "user_api_key_org_id"),
            "ip": _text(row, "requester_ip_address") or _text(meta, "requester_ip_address"),
            "user_agent": agent,
            "endpoint": endpoint,
            "request": request,
            "response": response,
            "status": status,
            "latency_ms": round((end - start) * 1000, 3) if end and end >= start else None,
            "source": _compact(
                {
                    "format": "litellm",
                    "request_id": _text(row, "request_id"),
                    "call_type": call_type,
                    "team_id": team,
                    "end_user": _text(row, "end_user"),
                }
            ),
        }
    )


def _header(headers: dict[str, Any], name: str) -> str | None:
    for k, v in headers.items():
        if isinstance(k, str) and k.lower() == name and isinstance(v, str) and v:
            return v
    return None


def _dump_endpoint(url: str | None, body: dict[str, Any], resp: Any) -> str:
    if url:
        path = url.split("?", 1)[0].rstrip("/")
        for suffix, endpoint in _URL_ENDPOINTS:
            if path.endswith(suffix):
                return endpoint
        raise UnsupportedRecord("url", path)
    if "messages" in body:
        return "chat.completions"
    if "prompt" in body:
        return "completions"
    looks_embedding = isinstance(resp, dict) and resp.get("object") == "list"
    return "embeddings" if "input" in body and looks_embedding else "responses"


def openai_dump_to_event(record: Any, account: str | None = None) -> dict[str, Any]:
    """One request/response dump line as an event; `account` is the fallback account."""
    if not isinstance(record, dict):
        raise RecordError("", f"a dump line must be a JSON object, got {_type(record)}")
    req = _object(record.get("request"), "request")
    if not req:
        raise RecordError("request", "is required and missing")
    headers = _object(record.get("headers"), "headers")
    url = _text(record, "url") or _text(record, "path") or _text(req, "url")
    if isinstance(req.get("body"), dict):  # an HTTP wrapper: {method, url, headers, body}
        headers = {**_object(req.get("headers"), "request.headers"), **headers}
        req = req["body"]
    resp = _decoded(record.get("response"))
    status = _count(record, "status_code") or _count(record, "status")
    if isinstance(resp, dict) and "body" in resp and "choices" not in resp:
        status = status or _count(resp, "status_code", "response.status_code")
        resp = _decoded(resp["body"])
    if not any(k in req for k in ("messages", "prompt", "input")):
        raise RecordError("request", "has no messages, prompt or input: not a model call")
    endpoint = _dump_endpoint(url, req, resp)

    if isinstance(resp, dict) and "error" in resp:
        status, resp = status or 500, None
    request = {k: v for k, v in req.items() if k != "api_key"}
    if endpoint == "responses":
        request["messages"] = shapes.responses_request(req, "request")
    created = resp.get("created") if isinstance(resp, dict) else None
    stamp = record.get("timestamp", record.get("created", created))
    if stamp is None:
        raise RecordError("timestamp", "is required: add `timestamp` (RFC 3339 or Unix seconds)")
    who = (
        _header(headers, "x-account")
        or _header(headers, "openai-organization")
        or _header(headers, "openai-project")
        or _text(record, "account")
        or account
    )
    if who is None:
        raise RecordError(
            "headers", "no account: add an x-account or OpenAI-Organization header, or --account"
        )
    forwarded = _header(headers, "x-forwarded-for")
    secret = _text(record, "api_key") or _header(headers, "authorization")
    return _compact(
        {
            "ts": format_ts(_when(stamp, "timestamp")),
            "account": who,
            "key": _key_id(secret, secret=True) or _key_id(_text(record, "key"), secret=False),
            "org": _header(headers, "openai-organization"),
            "ip": _text(record, "ip")
            or (forwarded.split(",")[0].strip() if forwarded else None)
            or _header(headers, "x-real-ip"),
            "user_agent": _header(headers, "user-agent"),
            "endpoint": endpoint,
            "request": request,
            "response": _chat_response(resp, endpoint, "response"),
            "status": status or 200,
            "latency_ms": record.get("latency_ms", record.get("duration_ms")),
            "source": {"format": "openai-dump"},
        }
    )


def to_event(source: str, record: Any, account: str | None = None) -> dict[str, Any]:
    """Dispatch on the source name (one of `SOURCES`)."""
    if source == "litellm":
        return litellm_to_event(record)
    if source == "openai-dump":
        return openai_dump_to_event(record, account)
    raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
