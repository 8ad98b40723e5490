"""Errors in the settings, as a user can act on them: the key or variable, the value, the file.

A value is never shown when its key holds a secret, and a URL's password is masked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from distillguard.errors import ConfigError

_SECRET_KEYS = frozenset({"token", "secret", "api_key", "prompt_secret"})
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


class KeyedProblem(ValueError):
    """A check across several settings, naming the one to fix."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        super().__init__(problem)
        self.key, self.value, self.problem = key, value, problem


def config_error(
    err: ValidationError, source: str, overrides: Mapping[str, Any] | None = None
) -> ConfigError:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(settings)"
    value = first.get("input")
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        problem = "is not a setting distillguard knows (check its spelling and section)"
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, KeyedProblem):
        key, value, problem = cause.key, cause.value, cause.problem
    if key.rsplit(".", 1)[-1] in _SECRET_KEYS and value is not None:
        value = "(hidden)"  # an error message must not leak a secret
    elif isinstance(value, str) and "://" in value:
        value = _URL_PASSWORD.sub(r"\1***@", value)  # nor a database password
    more = err.error_count() - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    variable = _env_variable(key, overrides or {})
    if variable is None:
        return ConfigError(key, value, problem, source)
    # The TOML key would send the user to a file that may not even set it: name the variable.
    error = ConfigError(variable, value, problem, "the environment")
    error.args = (
        f"config: environment variable {variable} = {value!r}: {problem} "
        f"(fix or unset {variable}; it sets the TOML key '{key}')",
    )
    return error


def _env_variable(key: str, overrides: Mapping[str, Any]) -> str | None:
    """The DISTILLGUARD_* variable that set `key` (or a table above it), if one is set.

    Variables outrank the TOML file, so a set one gave the bad value, unless a command-line
    flag (`overrides`) gave that key. Names are matched as pydantic-settings does, ignoring case.
    """
    parts = key.split(".")
    given: Any = overrides
    for part in parts:
        given = given.get(part) if isinstance(given, Mapping) else None
    if given is not None:
        return None
    names = {name.upper(): name for name in os.environ}
    for depth in range(len(parts), 0, -1):
        name = "DISTILLGUARD_" + "__".join(parts[:depth]).upper()
        if name in names:
            return names[name]
    return None
