"""Database failures as `StoreUnavailableError`, which the gateway answers with a 503."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from distillguard.errors import StoreUnavailableError

P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn a lost or refused database connection into `StoreUnavailableError` (a 503)."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (OperationalError, DBAPIError) as err:
            if isinstance(err, IntegrityError):
                raise
            store: Any = args[0]
            url = store.engine.url.render_as_string(hide_password=True)
            cause = str(getattr(err, "orig", None) or err).strip().splitlines()
            raise StoreUnavailableError(url, cause[0] if cause else type(err).__name__) from None

    return run
