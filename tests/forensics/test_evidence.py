"""`distillguard evidence`: a bundle whose ledger slice verifies on its own, with a report."""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path

import orjson
from ledger_helpers import event, make_keys
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.detect.engine import Analyzer
from distillguard.events import parse_event
from distillguard.forensics import Ledger, load_verifier, verify_ledger
from distillguard.settings import load_settings
from distillguard.store import open_store


def test_evidence_bundle_of_one_account(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    config = tmp_path / "dg.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "dg.db"}"\n'
        f'[ledger]\nenabled = true\ndir = "{tmp_path / "ledger"}"\nkey_file = "{keys.private}"\n'
    )
    settings = load_settings(config)
    store = open_store(settings)
    suspect = store.create_account("Suspect Labs", tier="free", org="suspect")
    other = store.create_account("Real Customer", tier="free")
    analyzer = Analyzer()
    with Ledger.from_settings(settings.ledger) as ledger:
        for i in range(30):
            e = event(i, account=suspect.id if i % 3 else other.id)
            ledger.append(e)
            analyzer.process(parse_event(e))
    blob = zlib.compress(orjson.dumps(analyzer.take_changes()[suspect.id]))
    store.save_detector_state({suspect.id: blob})
    case = store.open_case(
        "account",
        suspect.id,
        members=[suspect.id],
        level="restrict",
        risk=0.81,
        evidence={"reasons": ["harvests step-by-step answers"], "points": [[1.79e9, 0.81]]},
    )
    store.confirm_case(case.id, "ana@trust", "CoT harvest confirmed", sanction="suspend")
    store.close()
    audit = tmp_path / "audit.json"
    audit.write_bytes(
        orjson.dumps(
            {
                "accounts": [
                    {"account": suspect.id, "p_value": 3e-9, "adjusted_p": 3e-6, "tokens": 30_000},
                    {"account": other.id, "p_value": 0.4, "adjusted_p": 1.0, "tokens": 30_000},
                ]
            }
        )
    )

    out = tmp_path / "bundle.zip"
    result = CliRunner().invoke(
        app,
        ["evidence", suspect.id, "--out", str(out), "--config", str(config), "--audit", str(audit)],
    )
    assert result.exit_code == 0, result.output
    assert "20 ledger records, 1 case(s)" in result.output

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as z:
        z.extractall(unpacked)
    manifest = orjson.loads((unpacked / "manifest.json").read_bytes())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((unpacked / name).read_bytes()).hexdigest() == digest
    # The slice checks with only the public key shipped inside, and holds only the suspect.
    report = verify_ledger(unpacked / "ledger-slice.jsonl", load_verifier(unpacked / "ledger.pub"))
    assert report.ok and report.records == 20 and report.omitted == 10
    assert other.id not in (unpacked / "ledger-slice.jsonl").read_text()
    history = orjson.loads((unpacked / "audit-log.json").read_bytes())
    assert [e["action"] for e in history] == ["case_opened", "case_confirmed", "suspend"]
    watermark = orjson.loads((unpacked / "watermark-audit.json").read_bytes())
    assert [w["p_value"] for w in watermark] == [3e-9]
    detection = orjson.loads((unpacked / "detection.json").read_bytes())
    assert detection["requests"] == 20 and detection["scores_over_time"][0]["risk"] == 0.81
    html = (unpacked / "report.html").read_text()
    for expected in (
        suspect.id,
        case.id,
        "CoT harvest confirmed",
        "ana@trust",
        "3e-09",
        "verified against",
        "harvests step-by-step answers",
    ):
        assert expected in html, expected
    assert "<script" not in html
