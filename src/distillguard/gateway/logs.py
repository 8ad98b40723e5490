"""Structured JSON logs: one object a line, with the `extra` fields a call passes.

API keys never reach a log: the gateway logs key ids only, and the formatter masks anything
shaped like a secret that slipped in: a distillguard key (`sk-dg-...`) or another `sk-` key,
a bearer token, or the value of an `api_key=`/`"password": ...` pair. It walks every string of
an `extra` value, however nested (a logged request body's messages, their content parts, tool
call arguments), and masks the values of keys named like credentials (`api_key`,
`authorization`, ...) whole. Past `_MAX_DEPTH` levels a value is dropped, not logged unmasked.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import orjson

from distillguard.settings import LogSettings

_SECRET = re.compile(
    r"sk-dg-[A-Za-z0-9_\-]+"
    r"|\bsk-[A-Za-z0-9_\-]{16,}"  # other providers' keys (sk-proj-..., sk-ant-...)
    r"|(?i:bearer)\s+\S+"
)
# `api_key=abc`, `"password": "abc"`, `secret: abc`: the name stays, the value goes.
_PAIR = re.compile(
    r"""(?i)\b((?:api[_-]?key|access[_-]?token|auth[_-]?token|secret|password|passwd)"""
    r"""["']?\s*[:=]\s*["']?)[^\s"',;&}]+"""
)
_CREDENTIAL_KEYS = frozenset(
    {"api_key", "apikey", "api-key", "authorization", "password", "passwd", "secret"}
    | {"access_token", "auth_token", "refresh_token", "x-api-key", "client_secret"}
)
_MAX_DEPTH = 32
_REDACTED = "[redacted]"
# Attributes every LogRecord has; anything else came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def mask(text: str) -> str:
    return _PAIR.sub(lambda m: m.group(1) + _REDACTED, _SECRET.sub(_REDACTED, text))


def masked(value: Any, depth: int = 0) -> Any:
    """`value` with every string in it masked: dicts and lists walked, credential keys' values
    replaced whole, anything deeper than `_MAX_DEPTH` replaced by a marker."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict | list | tuple) and depth >= _MAX_DEPTH:
        return "[too deep to log]"
    if isinstance(value, dict):
        return {
            k: _REDACTED if _is_credential(k) else masked(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(v, depth + 1) for v in value]
    return value


def _is_credential(key: object) -> bool:
    return isinstance(key, str) and key.lower() in _CREDENTIAL_KEYS


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                obj[key] = masked(value)
        if record.exc_info:
            obj["exc"] = mask(self.formatException(record.exc_info))
        return orjson.dumps(obj, default=lambda v: mask(str(v))).decode()


def configure_logging(settings: LogSettings) -> None:
    """Send distillguard's and uvicorn's logs to stderr as JSON lines (called by `serve`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("distillguard", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(settings.level)
        logger.propagate = False
