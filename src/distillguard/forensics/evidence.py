"""`evidence ACCOUNT`: one account's case file as a zip that holds up outside the company.

    bundle = build_bundle(store, settings, account_id, out=Path("bundle.zip"),
                          audits=[Path("audit.json")])

Inside the zip:
- `ledger-slice.jsonl`: the account's records of the ledger, with hash stubs for the records
  of others and the signed checkpoints after them (`distillguard ledger verify FILE
  --public-key ledger.pub` checks it anywhere), and `ledger.pub`, the key that signed it;
- `detection.json`: the account's risk and the detectors' reasons now, and its scores over
  time as its cases recorded them;
- `cases.json` and `audit-log.json`: its cases (notes included) and every enforcement action
  and review decision about it or its cases;
- `watermark-audit.json`: the results of `distillguard audit` runs that name the account;
- `report.html`: all of it, readable; `manifest.json`: the SHA-256 of every file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from distillguard.detect.engine import CAMPAIGNS
from distillguard.detect.population import Population
from distillguard.detect.scoring import assess
from distillguard.detect.tracks import load_track
from distillguard.errors import AuditError, InputNotFoundError
from distillguard.forensics.ledger_export import export_slice
from distillguard.forensics.ledger_verify import verify_ledger
from distillguard.forensics.signing import load_verifier, public_path
from distillguard.pipeline.view import merged_campaigns
from distillguard.settings import Settings
from distillguard.store import Account, AuditEntry, Case, Store
from distillguard.store.detector_state import decode


@dataclasses.dataclass(frozen=True, slots=True)
class Bundle:
    out: Path
    files: dict[str, str]  # name -> SHA-256
    ledger_records: int
    cases: int
    audit_entries: int
    watermark_hits: int


def build_bundle(
    store: Store,
    settings: Settings,
    account_id: str,
    *,
    out: Path,
    audits: list[Path] | None = None,
) -> Bundle:
    account = store.get_account(account_id)
    cases = [store.get_case(c.id) for c in _cases_of(store, account_id)]
    subjects = {account_id, *(c.id for c in cases), *(c.subject for c in cases)}
    entries = sorted(
        (e for s in subjects for e in store.audit_log(subject=s)), key=lambda e: (e.at, e.id or 0)
    )
    detection = _detection(store, account_id, cases)
    watermark = [hit for path in audits or [] for hit in audit_hits(path, account_id)]
    files: dict[str, bytes] = {
        "account.json": _json(account),
        "detection.json": _json(detection),
        "cases.json": _json(cases),
        "audit-log.json": _json(entries),
        "watermark-audit.json": _json(watermark),
    }
    ledger = _ledger_slice(settings, account_id)
    files.update(ledger["files"])
    files["report.html"] = _report(account, detection, cases, entries, watermark, ledger)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    manifest = {
        "account": account_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": digests,
        "verify": "distillguard ledger verify ledger-slice.jsonl --public-key ledger.pub",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("manifest.json", _json(manifest))
    return Bundle(out, digests, ledger["records"], len(cases), len(entries), len(watermark))


def record_export(
    store: Store,
    bundle: Bundle,
    data: bytes,
    account_id: str,
    author: str,
    reason: str,
    *,
    via: str,
) -> None:
    """The export in the audit log: who took the account's evidence out, why, and the zip's
    SHA-256, so a copy shown later can be matched to this export."""
    detail = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "ledger_records": bundle.ledger_records,
        "cases": bundle.cases,
        "via": via,
    }
    store.record_audit(
        [AuditEntry(time.time(), author, "evidence_export", account_id, reason, detail)]
    )


def _cases_of(store: Store, account_id: str) -> list[Case]:
    return [c for c in store.list_cases(None, 10_000) if account_id in c.members]


def _detection(store: Store, account_id: str, cases: list[Case]) -> dict[str, Any]:
    """The detector's view now (from the saved state), and the scores the cases recorded."""
    out: dict[str, Any] = {"account": account_id, "risk": None, "reasons": [], "requests": 0}
    saved = store.load_detector_state()
    blob = saved.get(account_id)
    if blob is not None:
        track = load_track(decode(blob))
        # One shared state, or one per worker partition: their populations, merged.
        shared = [decode(b) for k, b in saved.items() if k.split("@")[0] == CAMPAIGNS]
        merged = merged_campaigns(shared) if shared else {}
        population = Population.from_state(merged["population"]) if "population" in merged else None
        out["risk"] = round(track.max_score, 4)
        out["requests"] = track.profile.n
        out["reasons"] = list(assess(track.profile.detectors, population).reasons)
        out["campaign"] = track.campaign
    points = sorted(
        {(p[0], p[1]) for c in cases if c.kind == "account" for p in c.evidence.get("points", [])}
    )
    out["scores_over_time"] = [{"ts": ts, "risk": r} for ts, r in points]
    out["saved_state_of"] = "detector state last saved by a gateway" if blob else None
    out.pop(CAMPAIGNS, None)
    return out


_AUDIT_FIELDS = ("flagged", "p_raw", "p_holm", "scored", "green", "green_fraction", "served_only")


def audit_hits(path: Path, account_id: str) -> list[dict[str, Any]]:
    """The account's finding in a `distillguard audit --json` report: its p-values, whether it
    was named, and the snippets that carry its watermark."""
    if not path.is_file():
        raise InputNotFoundError(str(path), "watermark audit results (distillguard audit --json)")
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        raise AuditError(f"{path} is not JSON ({err})", "pass the file of audit --json") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise AuditError(
            f"{path} is not a report of `distillguard audit --json` (no 'findings' list)",
            "pass the file that `distillguard audit SUSPECT --json FILE` wrote",
        )
    hits = []
    for f in findings:
        if isinstance(f, dict) and f.get("account") == account_id:
            hit = {"source": str(path), "account": account_id, "texts": data.get("texts")}
            hit.update({k: f.get(k) for k in _AUDIT_FIELDS if k in f})
            hit["alpha"] = data.get("alpha")
            hit["evidence"] = [e.get("snippet", "") for e in f.get("evidence") or ()]
            hits.append(hit)
    return hits


def _ledger_slice(settings: Settings, account_id: str) -> dict[str, Any]:
    conf = settings.ledger
    if not conf.dir.is_dir():
        return {"files": {}, "records": 0, "note": f"no ledger at {conf.dir}"}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "ledger-slice.jsonl"
        verifier = None
        pub = public_path(conf.key_file) if conf.key_file is not None else None
        if pub is not None and pub.is_file():
            verifier = load_verifier(pub)
        summary = export_slice(conf.dir, account_id, target, verifier=verifier)
        files = {"ledger-slice.jsonl": target.read_bytes()}
        verified = None
        if verifier is not None and pub is not None:
            files["ledger.pub"] = pub.read_bytes()
            report = verify_ledger(target, verifier)
            verified = report.ok
    return {
        "files": files,
        "records": summary.records,
        "omitted": summary.omitted,
        "checkpoints": summary.checkpoints,
        "unsigned": summary.left_unsigned,
        "verified": verified,
    }


def _report(
    account: Account,
    detection: dict[str, Any],
    cases: list[Case],
    entries: list[Any],
    watermark: list[dict[str, Any]],
    ledger: dict[str, Any],
) -> bytes:
    env = Environment(
        loader=PackageLoader("distillguard.forensics", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["when"] = lambda ts: time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
    page = env.get_template("evidence.html.j2").render(
        account=account,
        detection=detection,
        cases=cases,
        entries=entries,
        watermark=watermark,
        ledger={k: v for k, v in ledger.items() if k != "files"},
        created=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    return page.encode()


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
