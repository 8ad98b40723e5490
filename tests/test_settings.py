"""Settings: TOML plus DISTILLGUARD_* variables, checked at load; errors name key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.errors import ConfigError, InputNotFoundError
from distillguard.settings import load_settings


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "dg.toml"
    path.write_text(
        'database_url = "sqlite:///from-file.db"\n'
        '[server]\nhost = "0.0.0.0"\nport = 9000\n'
        '[upstreams.local]\nkind = "http"\nurl = "http://127.0.0.1:8000/v1"\n'
        '[models]\n"llama" = "local"\n'
        "[tiers.trial]\nrequests_per_min = 10\n"
    )
    return path


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISTILLGUARD_DATABASE_URL", raising=False)
    s = load_settings()
    assert s.database_url == "sqlite:///distillguard.db"
    assert s.models == {"sim-large": "simulated", "sim-small": "simulated"}
    assert s.limits.backend == "memory"


def test_file_then_env_then_overrides(toml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISTILLGUARD_DATABASE_URL", raising=False)
    s = load_settings(toml)
    assert (s.database_url, s.server.host, s.server.port) == (
        "sqlite:///from-file.db",
        "0.0.0.0",
        9000,
    )
    assert s.upstreams["local"].url == "http://127.0.0.1:8000/v1"
    assert s.tiers["trial"].requests_per_min == 10
    monkeypatch.setenv("DISTILLGUARD_DATABASE_URL", "postgresql://postgres@127.0.0.1/dg")
    monkeypatch.setenv("DISTILLGUARD_SERVER__PORT", "9100")
    s = load_settings(toml)
    assert s.database_url == "postgresql://postgres@127.0.0.1/dg"  # the variable wins
    assert (s.server.host, s.server.port) == ("0.0.0.0", 9100)
    assert load_settings(toml, {"server": {"port": 9200}}).server.port == 9200


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("[server]\nport = 70000\n", "server.port", "70000"),
        ("[server]\nprot = 1\n", "server.prot", "1"),
        ('[limits]\nbackend = "memcached"\n', "limits.backend", "'memcached'"),
        ('[upstreams.x]\nkind = "http"\n', "upstreams.x", "needs url"),
        ('[models]\n"m" = "nowhere"\n', "models.m", "'nowhere'"),
        ('database_url = "mysql://x"\n', "database_url", "'mysql://x'"),
    ],
)
def test_bad_values_name_key_and_value(tmp_path: Path, text: str, key: str, value: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert key in message and value in message
    assert str(path) in message


def test_bad_env_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILLGUARD_EVENTS__QUEUE_SIZE", "lots")
    with pytest.raises(ConfigError, match=r"'events.queue_size' = 'lots'"):
        load_settings()


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="config file"):
        load_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)
