"""`distillguard audit SUSPECT.jsonl`: name the accounts whose watermark a suspect model carries.

The keys come from `[watermark] secret` of the settings and the candidate accounts from the
store (or `--accounts FILE`, one id a line); texts are tokenized with the local model's
tokenizer (the GGUF of the first `local` upstream, or `--model`), which needs the
`local-model` extra. `--served EVENTS` (the gateway's event log) tests each account only in the
contexts of the answers it was served: far stronger against a model trained on those answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from distillguard.cli.events_cmd import fail
from distillguard.errors import AuditError, DistillguardError, InputNotFoundError
from distillguard.forensics.audit import (
    AuditReport,
    Chat,
    audit,
    read_served_chats,
    read_texts,
    served_contexts,
)
from distillguard.forensics.watermark import U64, WatermarkScheme
from distillguard.forensics.watermark_keys import KeyRing
from distillguard.settings import Settings, load_settings

console = Console()


def read_accounts(path: Path) -> list[str]:
    """Account ids, one a line; blank lines and `#` comments are skipped."""
    if not path.is_file():
        raise InputNotFoundError(str(path), "accounts file")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def _store_accounts(settings: Settings) -> list[str]:
    from distillguard.store import open_store

    store = open_store(settings)
    try:
        return [a.id for a in store.list_accounts()]
    finally:
        store.close()


def _model_path(settings: Settings, given: Path | None) -> Path:
    from distillguard.gateway.upstreams.local_model_engine import (
        require_local_model,
        resolve_model_path,
    )

    require_local_model()
    if given is None:
        local = [u.model_path for u in settings.upstreams.values() if u.kind == "local"]
        given = local[0] if local else None
    return resolve_model_path(given)


def _secret(settings: Settings) -> bytes:
    secret = settings.watermark.secret
    if secret is None or not secret.get_secret_value():
        raise AuditError(
            "no watermark secret in the settings",
            "pass the --config of the gateway whose outputs to test (its watermark.secret)",
        )
    return secret.get_secret_value().encode()


def _served(
    path: Path, ring: KeyRing, tokenize: Callable[[str], list[int]], scheme: WatermarkScheme
) -> tuple[dict[str, list[Chat]], dict[str, U64]]:
    """The candidates' served chats in an event log, and the watermark contexts of each one's
    answers."""
    chats = {a: c for a, c in read_served_chats(path).items() if a in ring.accounts}
    if not chats:
        raise AuditError(
            f"{path} holds no answer served to any of the {len(ring)} candidates",
            "pass the event log of the gateway whose keys these are",
        )
    answers = {a: [answer for _, answer in c] for a, c in chats.items()}
    return chats, served_contexts(answers, tokenize, scheme)


def _p(p: float) -> str:
    return f"{p:.2e}" if p > 0 else "<1e-300"  # below what a float holds


def print_report(report: AuditReport, show: int) -> None:
    flagged = report.flagged
    console.print(
        f"{report.texts} texts, {report.scored} distinct scored tokens, "
        f"{len(report.findings)} accounts tested: {len(flagged)} named at alpha {report.alpha:g} "
        "(Holm-adjusted)",
        highlight=False,
    )
    filtered = sum(f.score.served_only for f in report.findings)
    if filtered:
        console.print(
            f"{filtered} accounts tested only in the contexts of the answers they were served",
            highlight=False,
        )
    table = Table("account", "scored", "green", "green %", "z", "p raw", "p Holm", "p Bonf.", "")
    for f in report.findings[: max(show, len(flagged))]:
        s = f.score
        table.add_row(
            escape(s.account),
            str(s.scored),
            str(s.green),
            f"{100 * s.green_fraction:.1f}",
            f"{s.z:.1f}",
            f"{s.p_raw:.2e}" if s.p_raw > 0 else f"1e{s.log10_p:.0f}",
            _p(s.p_holm),
            _p(s.p_bonferroni),
            "[bold red]named[/]" if f.flagged else "",
        )
    console.print(table)
    for f in flagged:
        console.print(f"[bold]{escape(f.account)}[/]: the texts with the most green tokens")
        for e in f.evidence:
            console.print(f"  #{e.index} ({e.green}/{e.scored} green): {escape(e.snippet)!r}")


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_cmd(
        suspect: Path | None = typer.Argument(
            None, help="JSONL of {text}, chat-format examples or events: the suspect's outputs."
        ),
        config: Path | None = typer.Option(
            None, "--config", help="The gateway's TOML settings (watermark secret, store)."
        ),
        alpha: float = typer.Option(0.01, "--alpha", help="Family-wise error rate (Holm)."),
        accounts: Path | None = typer.Option(
            None, "--accounts", help="Candidate account ids, one a line, instead of the store."
        ),
        model: Path | None = typer.Option(
            None, "--model", help="GGUF whose tokenizer generated the outputs."
        ),
        json_out: Path | None = typer.Option(None, "--json", help="Write the report as JSON."),
        show: int = typer.Option(10, "--show", help="Rows of the table (named ones always)."),
        evidence: int = typer.Option(3, "--evidence", help="Snippets per named account."),
        served: Path | None = typer.Option(
            None,
            "--served",
            help="Event log of what the gateway served: test each account in those contexts.",
        ),
        read_with: Path | None = typer.Option(
            None,
            "--read-with",
            help="The suspect's weights (GGUF, same tokenizer): it reads the --served answers.",
        ),
        max_answers: int = typer.Option(
            1000, "--max-answers", help="Served answers read per account with --read-with."
        ),
    ) -> None:
        """Test a suspect model's outputs (or its weights) against every account's key."""
        try:
            if (suspect is None) == (read_with is None):
                raise AuditError(
                    "give the suspect's outputs (SUSPECT.jsonl) or its weights (--read-with)",
                    "one of the two, not both",
                )
            if read_with is not None and served is None:
                raise AuditError(
                    "--read-with needs --served EVENTS: the answers for the suspect to read",
                    "pass the gateway's event log",
                )
            settings = load_settings(config)
            secret = _secret(settings)
            texts = read_texts(suspect) if suspect is not None else []
            ids = read_accounts(accounts) if accounts else _store_accounts(settings)
            if not ids:
                where = str(accounts) if accounts else f"the store {settings.database_url}"
                raise AuditError(f"{where} names no account", "create accounts or fix --accounts")
            ring = KeyRing.derive(secret, ids)
            path = _model_path(settings, model)
            from distillguard.gateway.upstreams.local_model_hf import load_tokenizer

            tokenizer = load_tokenizer(path)
            w = settings.watermark
            scheme = WatermarkScheme(w.gamma, w.delta, w.context)

            def tokenize(text: str) -> list[int]:
                ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
                return ids

            chats, contexts = _served(served, ring, tokenize, scheme) if served else ({}, None)
            if read_with is not None and contexts is not None:
                from distillguard.cli.audit_read import read_audit

                report = read_audit(
                    read_with,
                    tokenizer,
                    chats,
                    ring,
                    scheme,
                    contexts,
                    alpha,
                    evidence,
                    max_answers,
                )
            else:
                report = audit(texts, tokenize, ring, scheme, alpha, evidence, contexts)
        except DistillguardError as err:
            raise fail(err) from None
        print_report(report, show)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_bytes(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2))
            console.print(f"wrote {json_out}", highlight=False)
