"""Events: the log format distillguard reads (docs/events.md), its reader and writer."""

from distillguard.events.reader import EventReader, read_events
from distillguard.events.schema import (
    CHARS_PER_TOKEN,
    Choice,
    Event,
    FieldError,
    Message,
    Request,
    Response,
    parse_event,
    parse_ts,
)
from distillguard.events.writer import EventWriter, format_ts

__all__ = [
    "CHARS_PER_TOKEN",
    "Choice",
    "Event",
    "EventReader",
    "EventWriter",
    "FieldError",
    "Message",
    "Request",
    "Response",
    "format_ts",
    "parse_event",
    "parse_ts",
    "read_events",
]
