"""The servers of the gateway benchmark: the mock upstream, distillguard's gateway, LiteLLM.

Each `start_*` returns the base URL (ending in /v1) once the server answers; `Procs` stops
them all. The gateway runs as `distillguard serve --config F` with a fresh SQLite store, a
config routing the benchmark's models to the mock over kind `http`, and its event log in a
folder of its own, so that after a graceful stop the log can be held against what the load
generator was answered.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from procs import Procs, free_port, http_get

LITELLM_VERSION = "1.108.7"  # the newest whose [proxy] extras install here
FAST_MODEL = "bench-fast"  # answered at once: the gateway's own cost, for throughput
MODEL = "bench-model"  # answered after the mock's latency, like a model server


@dataclass
class Mock:
    name: str
    url: str  # ends in /v1


def start_mock(procs: Procs, name: str, cpus: set[int], latency_ms: float, chunk_ms: float) -> Mock:
    port_file = procs.work / f"{name}.port"
    port_file.unlink(missing_ok=True)
    here = Path(__file__).resolve().parent
    argv = [sys.executable, str(here / "mock_upstream.py"), "--port-file", str(port_file)]
    argv += ["--latency-ms", str(latency_ms), "--chunk-ms", str(chunk_ms), "--chunks", "6"]
    procs.start(name, argv, cpus)
    procs.wait_until(name, port_file.exists, 10, "listening")
    url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
    procs.wait_until(name, lambda: bool(http_get(url + "/models")), 5, "answering")
    return Mock(name, url)


@dataclass
class Gateway:
    name: str
    url: str
    folder: Path
    keys: list[str] = field(default_factory=list)

    @property
    def events(self) -> Path:
        return self.folder / "events"

    def metric(self, name: str) -> float:
        """A sample of /metrics, without labels (0 when absent)."""
        text = http_get(self.url.removesuffix("/v1") + "/metrics").decode()
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        return float(m.group(1)) if m else 0.0


def gateway_config(
    folder: Path, fast: Mock, slow: Mock, client: str, extra: dict[str, dict[str, Any]]
) -> Path:
    """The gateway's TOML: both mocks over kind http, detection on, `extra` tables merged."""
    tables: dict[str, dict[str, Any]] = {
        "server": {"host": "127.0.0.1"},
        "upstreams.fast": {"kind": "http", "url": fast.url, "client": client},
        "upstreams.slow": {"kind": "http", "url": slow.url, "client": client},
        "models": {FAST_MODEL: "fast", MODEL: "slow"},
        "events": {"dir": str(folder / "events"), "detection": True},
        # Detection in its own process, started by the benchmark on the load cores (not
        # beside the gateway on its pinned core), as a deployment gives it a core of its own.
        "pipeline": {"detection": "worker", "start_worker": False},
    }
    for table, values in extra.items():
        tables.setdefault(table, {}).update(values)
    database = "sqlite:///" + str(folder / "dg.db")
    lines = [f"database_url = {_toml(database)}"]
    for table, values in tables.items():
        lines += ["", f"[{table}]", *(f"{_toml(k)} = {_toml(v)}" for k, v in values.items())]
    config = folder / "distillguard.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(str(value)).decode()  # a JSON string is a TOML basic string


def parse_sets(items: list[str]) -> dict[str, dict[str, Any]]:
    """`--set auth.cache_ttl_s=3600` -> {"auth": {"cache_ttl_s": 3600}}."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, _, raw = item.partition("=")
        table, _, name = key.rpartition(".")
        if not table or not name or not raw:
            raise SystemExit(f"--set {item!r}: expected SECTION.KEY=VALUE")
        try:
            value: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = raw
        out.setdefault(table, {})[name] = value
    return out


def make_keys(config: Path, accounts: int) -> list[str]:
    """Enterprise (unlimited) accounts with one key each, in the gateway's store."""
    from distillguard.settings import load_settings
    from distillguard.store import open_store

    store = open_store(load_settings(config))
    try:
        keys = []
        for i in range(accounts):
            account = store.create_account(f"bench-{i}", tier="enterprise")
            keys.append(store.create_key(account.id).secret)
        return keys
    finally:
        store.close()


@dataclass
class GatewayOptions:
    client: str  # the upstream client, httpx or aiohttp
    accounts: int  # enterprise accounts, one key each, used in turn by the load generator
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # settings tables (--set)
    switch_ms: float = 0.0  # sys.setswitchinterval in the gateway process; 0: Python's 5 ms


def start_gateway(
    procs: Procs,
    name: str,
    cpus: set[int],
    fast: Mock,
    slow: Mock,
    opts: GatewayOptions,
    worker_cpus: set[int] | None = None,
) -> Gateway:
    folder = procs.work / name
    folder.mkdir(parents=True)
    config = gateway_config(folder, fast, slow, opts.client, opts.extra)
    keys = make_keys(config, opts.accounts)
    # The gateway could take port 0, but says which port it got only in an INFO log line, and
    # the benchmark may run it at WARNING: pick a free port for it instead.
    port = free_port()
    code = "from distillguard.cli.main import main; main()"
    if opts.switch_ms:
        code = f"import sys; sys.setswitchinterval({opts.switch_ms / 1000!r}); {code}"
    argv = [sys.executable, "-c", code, "serve", "--config", str(config), "--port", str(port)]
    procs.start(name, argv, cpus)
    # Niced: on 2 cores the worker shares the load generator's core, and must not delay the
    # clients whose latency is measured (a deployment gives detection cores of its own).
    worker = ["nice", "-n", "19", sys.executable, "-m", "distillguard", "worker", "--config"]
    worker.append(str(config))
    procs.start(name + "-worker", worker, worker_cpus or cpus)
    base = f"http://127.0.0.1:{port}"
    procs.wait_until(name, lambda: bool(http_get(base + "/healthz")), 60, "healthy")
    return Gateway(name, base + "/v1", folder, keys)


@dataclass
class EventCount:
    lines: int
    ok: int  # events with status 200
    files: int


def count_events(folder: Path) -> EventCount:
    lines = ok = 0
    files = sorted(folder.glob("events-*.jsonl"))
    for path in files:
        with path.open("rb") as f:
            for line in f:
                if line.strip():
                    lines += 1
                    ok += orjson.loads(line).get("status") == 200
    return EventCount(lines, ok, len(files))


# -- LiteLLM, in a venv of its own under work/


def litellm_venv(work: Path) -> Path:
    """work/litellm-venv with `litellm[proxy]` pinned; created (from PyPI) when missing."""
    venv = work / "litellm-venv"
    exe = venv / "bin" / "litellm"
    if exe.exists():
        return venv
    print(f"installing litellm[proxy]=={LITELLM_VERSION} into {venv} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, f"litellm[proxy]=={LITELLM_VERSION}"], check=True)
    return venv


@dataclass
class LiteLLM:
    url: str
    key: str
    version: str


def start_litellm(procs: Procs, work: Path, cpus: set[int], fast: Mock, slow: Mock) -> LiteLLM:
    venv = litellm_venv(work)
    folder = procs.work / "litellm"
    folder.mkdir(parents=True, exist_ok=True)
    key = "sk-" + secrets.token_urlsafe(32)
    config = folder / "config.yaml"
    entries = "".join(
        f"""  - model_name: {model}
    litellm_params:
      model: openai/{model}
      api_base: {mock.url}
      api_key: sk-mock
"""
        for model, mock in ((FAST_MODEL, fast), (MODEL, slow))
    )
    config.write_text(
        f"model_list:\n{entries}general_settings:\n  master_key: {key}\n", encoding="utf-8"
    )
    port = free_port()
    argv = [str(venv / "bin" / "litellm"), "--config", str(config)]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env: dict[str, str | None] = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "true",  # offline: no cost map download
        "LITELLM_TELEMETRY": "False",
        "DATABASE_URL": None,  # config only: no database
        "PYTHONWARNINGS": "ignore",
    }
    procs.start("litellm", argv, cpus, env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    procs.wait_until(
        "litellm",
        lambda: bool(http_get(base + "/health/liveliness")),
        120,
        "answering",
    )
    version = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m;print(m.version('litellm'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return LiteLLM(base + "/v1", key, version)
