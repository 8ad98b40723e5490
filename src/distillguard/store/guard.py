"""Database failures as store errors: a lost connection is `StoreUnavailableError` (a 503), a
value the database refuses is `InvalidFieldError` (a 400).

Neither message carries the database URL or its password: both reach HTTP bodies and logs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from distillguard.errors import InvalidFieldError, StoreUnavailableError

P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn a lost or refused database connection into `StoreUnavailableError` (a 503), and
    a value the database refuses (too long, a NUL byte) into `InvalidFieldError` (a 400)."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (OperationalError, DBAPIError) as err:
            if isinstance(err, IntegrityError):
                raise
            store: Any = args[0]
            problem = scrub(first_line(err), store.engine.url)
            if isinstance(err, DataError):
                raise InvalidFieldError(None, f"the database refused a value: {problem}") from None
            url = store.engine.url.render_as_string(hide_password=True)
            raise StoreUnavailableError(url, problem) from None

    return run


def first_line(err: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's adds the statement and its parameters)."""
    cause = getattr(err, "orig", None) or err
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def scrub(text: str, url: URL | str) -> str:
    """`text` without the database URL or its password, should a driver have quoted them."""
    if isinstance(url, URL):
        urls = [url.render_as_string(hide_password=False), url.render_as_string()]
        password = str(url.password) if url.password else ""
    else:
        urls, password = [url], ""
    for shown in sorted(filter(None, urls), key=len, reverse=True):
        text = text.replace(shown, "[database url]")
    if len(password) >= 4:  # a shorter one would match ordinary words
        text = text.replace(password, "[redacted]")
    return text
