"""The `[watermark]` settings and the `local` upstream kind, as the gateway reads them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from distillguard.errors import ConfigError, LocalModelError
from distillguard.gateway.upstreams import open_router
from distillguard.settings import load_settings


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "dg.toml"
    path.write_text(text)
    return load_settings(path)


def test_watermark_needs_a_long_secret_when_enabled(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'watermark.secret'.*at least 16 characters"):
        _load(tmp_path, '[watermark]\nenabled = true\nsecret = "short"\n')
    with pytest.raises(ConfigError, match=r"'watermark.secret' = None"):
        _load(tmp_path, "[watermark]\nenabled = true\n")
    with pytest.raises(ConfigError, match=r"watermark\.gamma"):
        _load(tmp_path, "[watermark]\ngamma = 1.5\n")
    settings = load_settings(
        None, {"watermark": {"enabled": True, "secret": "0123456789abcdef", "delta": 3}}
    )
    assert settings.watermark.delta == 3 and settings.watermark.context == 2
    assert "0123456789abcdef" not in repr(settings.watermark)


def test_a_local_upstream_without_its_extra_or_weights_stops_the_start(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            "upstreams": {"smol": {"kind": "local", "model_path": str(tmp_path / "none.gguf")}},
            "models": {"smollm2": "smol"},
        },
    )
    # torch alone may be there for another extra (mmd): the local-model extra is all four.
    extra = ("torch", "transformers", "gguf", "accelerate")
    missing = any(importlib.util.find_spec(name) is None for name in extra)
    fix = "distillguard\\[local-model\\]" if missing else "does not exist"
    with pytest.raises(LocalModelError, match=fix):
        open_router(settings)
