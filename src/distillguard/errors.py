"""Errors a distillguard user can act on.

The tree::

    DistillguardError                 anything distillguard raises on purpose
     +-- EventFormatError             an event log line is not a valid event (file, line, field)
     |    +-- OutOfOrderError         an event's ts is older than the one before it
     +-- LabelFormatError             a labels file line is not a valid label
     +-- InputNotFoundError           a file or folder named on the command line is missing
     +-- ConvertError                 a foreign log line cannot be turned into an event
     +-- ScenarioError                a simulation option asks for something it cannot produce

Every message says what failed, where, the bad value, and what would fix it.
"""

from __future__ import annotations


class DistillguardError(Exception):
    """Base of every error distillguard raises on purpose."""


class EventFormatError(DistillguardError):
    """A line of an event log does not follow the event format."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{path}:{line}"
        at = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{at} {problem} (see spec/events.md; use --lenient to skip)")


class OutOfOrderError(EventFormatError):
    """An event is older than the event before it in the same file."""


class LabelFormatError(DistillguardError):
    """A line of a labels file does not follow the labels format."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}")


class InputNotFoundError(DistillguardError):
    """A file or folder that a command needs does not exist."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        super().__init__(f"{what} not found: {path}")


class ConvertError(DistillguardError):
    """A line of a foreign log format cannot be converted to an event."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}")


class ScenarioError(DistillguardError):
    """A simulation was asked for something it cannot produce (bad count, days, scenario)."""

    def __init__(self, option: str, value: object, fix: str) -> None:
        self.option = option
        self.value = value
        super().__init__(f"simulate: {option}={value!r} is not allowed; {fix}")
