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
    with pytest.raises(ConfigError, match=r"DISTILLGUARD_EVENTS__QUEUE_SIZE = 'lots'") as err:
        load_settings()
    assert err.value.key == "DISTILLGUARD_EVENTS__QUEUE_SIZE"
    assert "it sets the TOML key 'events.queue_size'" in str(err.value)


def test_bad_env_value_names_the_variable_not_the_file(
    toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTILLGUARD_SERVER__PORT", "eighty")
    with pytest.raises(ConfigError) as err:
        load_settings(toml)  # the file's port = 9000 is fine; the variable outranks it
    message = str(err.value)
    assert message.startswith("config: environment variable DISTILLGUARD_SERVER__PORT = 'eighty'")
    assert "fix or unset DISTILLGUARD_SERVER__PORT" in message
    assert str(toml) not in message


def test_a_variable_of_a_whole_table_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILLGUARD_SERVER", '{"port": 70000}')
    with pytest.raises(ConfigError, match=r"environment variable DISTILLGUARD_SERVER = 70000"):
        load_settings()


def test_a_bad_file_value_still_names_the_toml_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISTILLGUARD_SERVER__PORT", raising=False)
    monkeypatch.setenv("DISTILLGUARD_EVENTS__QUEUE_SIZE", "10")  # set, but not the bad one
    path = tmp_path / "bad.toml"
    path.write_text("[server]\nport = 70000\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.key == "server.port"
    assert f"config in {path}: 'server.port' = 70000" in str(err.value)
    assert "DISTILLGUARD_SERVER__PORT" not in str(err.value).replace("DISTILLGUARD_*", "")


def test_a_bad_flag_value_is_not_blamed_on_a_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILLGUARD_SERVER__PORT", "9100")
    with pytest.raises(ConfigError) as err:
        load_settings(None, {"server": {"port": 70000}})
    assert err.value.key == "server.port"
    assert "DISTILLGUARD_SERVER__PORT" not in str(err.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="config file"):
        load_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)


def test_a_bad_database_url_is_shown_without_its_password() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"database_url": "mysql://me:hunter2@db.internal/dg"})
    assert "hunter2" not in str(err.value)
    assert "mysql://me:***@db.internal/dg" in str(err.value)
