"""`distillguard evidence`: a bundle whose ledger slice verifies on its own, with a report."""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path

import numpy as np
import orjson
import pytest
from ledger_helpers import event, make_keys
from test_watermark import SCHEME, SECRET, watermarked
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.detect.engine import Analyzer
from distillguard.errors import AuditError
from distillguard.events import parse_event
from distillguard.forensics import Ledger, load_verifier, verify_ledger
from distillguard.forensics.audit import AuditReport, audit_tokens
from distillguard.forensics.evidence import audit_hits
from distillguard.forensics.watermark_keys import KeyRing
from distillguard.settings import load_settings
from distillguard.store import open_store


def _audit_report(suspect: str, other: str) -> AuditReport:
    """What `distillguard audit --json` writes for outputs carrying `suspect`'s watermark."""
    ring = KeyRing.derive(SECRET, [other, suspect])
    texts = watermarked([ring.key_of(suspect)] * 10, 50, np.random.default_rng(3))
    strings = [" ".join(map(str, t)) for t in texts]
    return audit_tokens(texts, ring, SCHEME, alpha=0.01, texts=strings)


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
    audit.write_bytes(orjson.dumps(_audit_report(suspect.id, other.id).to_json()))

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
    assert [(w["account"], w["flagged"]) for w in watermark] == [(suspect.id, True)]
    assert watermark[0]["p_holm"] < 1e-6 and len(watermark[0]["evidence"]) == 3
    detection = orjson.loads((unpacked / "detection.json").read_bytes())
    assert detection["requests"] == 20 and detection["scores_over_time"][0]["risk"] == 0.81
    html = (unpacked / "report.html").read_text()
    for expected in (
        suspect.id,
        case.id,
        "CoT harvest confirmed",
        "ana@trust",
        "named</span> at alpha 0.01",
        "verified against",
        "harvests step-by-step answers",
    ):
        assert expected in html, expected
    assert "<script" not in html


def test_audit_results_must_be_the_audit_commands_json(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"accounts": []}')
    with pytest.raises(AuditError, match="no 'findings' list"):
        audit_hits(wrong, "acct_1")
    wrong.write_text("not json")
    with pytest.raises(AuditError, match="is not JSON"):
        audit_hits(wrong, "acct_1")
