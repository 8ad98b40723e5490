"""Structured JSON logs: one object a line, with the `extra` fields a call passes.

API keys never reach a log: the gateway logs key ids only, and the formatter masks anything
shaped like a distillguard secret (`sk-dg-...`) or a bearer token that slipped into a message.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import orjson

from distillguard.settings import LogSettings

_SECRET = re.compile(r"sk-dg-[A-Za-z0-9_\-]+|(?i:bearer)\s+\S+")
# Attributes every LogRecord has; anything else came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def mask(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


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
                obj[key] = mask(value) if isinstance(value, str) else value
        if record.exc_info:
            obj["exc"] = mask(self.formatException(record.exc_info))
        return orjson.dumps(obj, default=str).decode()


def configure_logging(settings: LogSettings) -> None:
    """Send distillguard's and uvicorn's logs to stderr as JSON lines (called by `serve`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("distillguard", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(settings.level)
        logger.propagate = False
