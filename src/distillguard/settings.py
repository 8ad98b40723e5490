"""Settings of the gateway, the store and the CLI: one TOML file plus `DISTILLGUARD_*` variables.

    settings = load_settings("distillguard.toml")        # or load_settings(None): defaults + env

Precedence, highest first: explicit overrides (command-line flags), environment variables
(`DISTILLGUARD_DATABASE_URL`, `DISTILLGUARD_SERVER__PORT`, ...: nested keys joined by `__`),
the TOML file, then the defaults below. Every value is checked when the settings are loaded;
a bad one raises `ConfigError` naming the key, the value and the file.

An example file::

    database_url = "sqlite:///var/distillguard.db"

    [server]
    port = 8080

    [upstreams.local]
    kind = "http"
    url = "http://127.0.0.1:8000/v1"

    [models]
    "llama-3-8b" = "local"      # model name -> upstream; "*" routes every other name

    [tiers.trial]
    requests_per_min = 10
    allowed_params = ["temperature", "max_tokens", "stream"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from distillguard.errors import ConfigError, InputNotFoundError

WILDCARD_MODEL = "*"

# The TOML file of the `load_settings` call in progress (sources are built inside pydantic).
_config_file: ContextVar[Path | None] = ContextVar("distillguard_config_file", default=None)


class _KeyedProblem(ValueError):
    """A check across several settings, naming the one to fix."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        super().__init__(problem)
        self.key, self.value, self.problem = key, value, problem


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080


class UpstreamSettings(_Section):
    """One model server. `simulated` is built in; `http` is any OpenAI-compatible server."""

    kind: Literal["simulated", "http"] = "simulated"
    url: str | None = None  # base URL ending in /v1, for kind = "http"
    api_key: SecretStr | None = None  # sent upstream as a bearer token
    timeout_s: Annotated[float, Field(gt=0)] = 60.0  # connect aside, each read: a chunk's wait
    connect_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    max_connections: Annotated[int, Field(ge=1)] = 200
    # Simulated upstream: time to first token and per generated token, typical answer length.
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    token_ms: Annotated[float, Field(ge=0)] = 0.0
    median_tokens: Annotated[int, Field(ge=1)] = 120

    @model_validator(mode="after")
    def _url_for_http(self) -> UpstreamSettings:
        if self.kind == "http":
            if not self.url:
                raise ValueError("kind 'http' needs url, e.g. url = 'http://127.0.0.1:8000/v1'")
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"url {self.url!r} must start with http:// or https://")
        return self


class TierSettings(_Section):
    """Limits of one tier; 0 means unlimited. Tiers named here are written to the store."""

    requests_per_min: Annotated[int, Field(ge=0)] = 0
    tokens_per_min: Annotated[int, Field(ge=0)] = 0
    daily_tokens: Annotated[int, Field(ge=0)] = 0
    allowed_params: list[str] | None = None  # request fields beyond model/messages/prompt


class LimitSettings(_Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: Annotated[str, Field(min_length=1)] = "distillguard"


class EventSettings(_Section):
    dir: Path = Path("distillguard-events")
    rotate_bytes: Annotated[int, Field(ge=4096)] = 256 << 20
    queue_size: Annotated[int, Field(ge=1)] = 10_000
    detection: bool = True
    # Events are written in arrival order; one that finishes later than this after a younger
    # one was written gets its ts raised to keep the file ordered (and is counted).
    reorder_window_s: Annotated[float, Field(ge=0)] = 2.0


class AuthSettings(_Section):
    cache_ttl_s: Annotated[float, Field(ge=0)] = 5.0  # how long a checked key is trusted


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    prompts: bool = False  # include request messages in access logs


def _default_upstreams() -> dict[str, UpstreamSettings]:
    return {"simulated": UpstreamSettings()}


def _default_models() -> dict[str, str]:
    return {"sim-large": "simulated", "sim-small": "simulated"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISTILLGUARD_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database_url: str = "sqlite:///distillguard.db"
    auto_migrate: bool = True
    default_tier: str = "standard"
    server: ServerSettings = ServerSettings()
    upstreams: dict[str, UpstreamSettings] = Field(default_factory=_default_upstreams)
    models: dict[str, str] = Field(default_factory=_default_models)
    tiers: dict[str, TierSettings] = Field(default_factory=dict)
    limits: LimitSettings = LimitSettings()
    events: EventSettings = EventSettings()
    auth: AuthSettings = AuthSettings()
    logging: LogSettings = LogSettings()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("use sqlite:///PATH or postgresql://USER@HOST/DB")
        return url

    @model_validator(mode="after")
    def _routes_exist(self) -> Settings:
        for model, upstream in self.models.items():
            if upstream not in self.upstreams:
                raise _KeyedProblem(
                    f"models.{model}",
                    upstream,
                    f"routes to an upstream that is not one of the [upstreams.*] tables "
                    f"{sorted(self.upstreams)}",
                )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file.get()
        if path is None:
            return (init_settings, env_settings)
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))


def load_settings(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Defaults, then the TOML file `path`, then `DISTILLGUARD_*` variables, then `overrides`."""
    source = "defaults and environment"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise InputNotFoundError(str(p), "config file")
        source = str(p)
        try:
            tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError("(file)", str(p), f"is not valid TOML: {err}", source) from None
    token = _config_file.set(Path(path) if path is not None else None)
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as err:
        raise _config_error(err, source) from None
    finally:
        _config_file.reset(token)


def _config_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(settings)"
    value = first.get("input")
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        problem = "is not a setting distillguard knows (check its spelling and section)"
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _KeyedProblem):
        key, value, problem = cause.key, cause.value, cause.problem
    more = err.error_count() - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ConfigError(key, value, problem, source)


def replace_settings(settings: Settings, source: str, **fields: Any) -> Settings:
    """`settings` with whole top-level `fields` replaced (not merged), checked again."""
    try:
        return Settings.model_validate({**settings.model_dump(), **fields})
    except ValidationError as err:
        raise _config_error(err, source) from None
