"""Cases for review, the labels reviewers give, and the audit log, over the SQL tables.

A case opens when an account (or a campaign) reaches the policy's review level, and while it
is open, later escalations update it (highest risk, newest level and reasons, more score
points) instead of opening another. A reviewer confirms it (the sanction applies to every
member, each recorded in the audit log) or dismisses it (every member labelled benign: the
gateway allowlists them and calibration can read the labels back). Every step is a note on
the case and an entry in the audit log: who, when, what and why.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, RowMapping, delete, insert, select, text, update

from distillguard.errors import InvalidValueError, NotFoundError
from distillguard.store.guard import guarded
from distillguard.store.records import (
    AccountStatus,
    AuditEntry,
    Case,
    CaseNote,
    CaseOpening,
    CaseStatus,
)
from distillguard.store.tables import accounts, audit_log, case_notes, cases, review_labels
from distillguard.store.text import LONG_CHARS, checked

MAX_POINTS = 500  # score points kept per case: the most recent
MAX_SAMPLES = 20  # sample requests kept per case
SANCTIONS = ("suspend", "none")


def new_case_id() -> str:
    return "case_" + secrets.token_hex(6)


class CasesMixin:
    """The case, label and audit methods of `SqlStore` (which provides `engine`)."""

    engine: Engine

    # -- cases
    def open_case(
        self,
        kind: str,
        subject: str,
        *,
        members: Sequence[str],
        level: str,
        risk: float,
        evidence: dict[str, Any],
        actor: str = "system:policy",
        at: float | None = None,
    ) -> Case:
        """Open a case on `subject`, or update its open one; returns the case."""
        at = time.time() if at is None else at
        opening = CaseOpening(kind, subject, tuple(members), level, risk, evidence, at, actor)
        return self.get_case(self.open_cases([opening])[0])

    @guarded
    def open_cases(self, openings: Sequence[CaseOpening]) -> list[str]:
        """`open_case` for each, in order, in one transaction (the policy's keeper writes a
        batch at a time); the case ids."""
        if not openings:
            return []
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Workers of several partitions open a linked campaign's case on one subject:
                # one at a time, so the second finds the first's case and updates it. Taken
                # in one order, so two workers' batches never wait on each other in a cycle.
                for subject in sorted({o.subject for o in openings}):
                    conn.execute(_LOCK, {"s": subject})
            return [_open(conn, o) for o in openings]

    @guarded
    def get_case(self, case_id: str) -> Case:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
            if row is None:
                raise NotFoundError("case", case_id, "see `distillguard cases list`")
            notes = conn.execute(
                select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
            ).mappings()
            kept = [CaseNote(n["at"], n["author"], n["kind"], n["text"]) for n in notes]
            return case_from_row(row, kept)

    @guarded
    def list_cases(self, status: str | None = None, limit: int = 100) -> list[Case]:
        query = select(cases).order_by(cases.c.risk.desc(), cases.c.opened_at).limit(limit)
        if status is not None:
            query = query.where(cases.c.status == _status(status).value)
        with self.engine.connect() as conn:
            return [case_from_row(r, []) for r in conn.execute(query).mappings()]

    @guarded
    def assign_case(self, case_id: str, assignee: str, author: str) -> Case:
        checked("assignee", assignee)
        self._touch(case_id, author, "assign", f"assigned to {assignee}", assignee=assignee)
        return self.get_case(case_id)

    @guarded
    def comment_case(self, case_id: str, author: str, text: str) -> Case:
        self._touch(case_id, author, "comment", text)
        return self.get_case(case_id)

    @guarded
    def confirm_case(self, case_id: str, author: str, reason: str, sanction: str) -> Case:
        """Extraction: apply `sanction` to every member and label them so."""
        if sanction not in SANCTIONS:
            raise InvalidValueError("sanction", sanction, list(SANCTIONS))
        case = self._resolve(case_id, author, reason, CaseStatus.CONFIRMED, "extraction")
        if sanction == "suspend":
            with self.engine.begin() as conn:
                for member in case.members:
                    conn.execute(
                        update(accounts)
                        .where(accounts.c.id == member)
                        .values(status=AccountStatus.SUSPENDED.value)
                    )
                    entry = AuditEntry(
                        time.time(), author, "suspend", member, reason, {"case": case_id}
                    )
                    _audit(conn, entry)
        return case

    @guarded
    def dismiss_case(self, case_id: str, author: str, reason: str) -> Case:
        """Benign: label every member benign (the gateway allowlists them)."""
        return self._resolve(case_id, author, reason, CaseStatus.DISMISSED, "benign")

    def _resolve(
        self, case_id: str, author: str, reason: str, status: CaseStatus, label: str
    ) -> Case:
        checked("author", author)
        checked("reason", reason, limit=LONG_CHARS, multiline=True)
        case = self.get_case(case_id)
        if case.status is not CaseStatus.OPEN:
            raise InvalidValueError("case status", case.status.value, ["open"])
        if not reason.strip():
            raise InvalidValueError("reason", reason, ["a sentence saying why"])
        at = time.time()
        verb = "confirm" if status is CaseStatus.CONFIRMED else "dismiss"
        with self.engine.begin() as conn:
            conn.execute(
                update(cases).where(cases.c.id == case_id).values(status=status, updated_at=at)
            )
            _note(conn, case_id, at, author, verb, reason)
            _audit(conn, AuditEntry(at, author, f"case_{verb}ed", case.subject, reason))
            for member in case.members:
                conn.execute(delete(review_labels).where(review_labels.c.account == member))
                conn.execute(
                    insert(review_labels).values(
                        account=member, label=label, case_id=case_id, at=at, author=author
                    )
                )
        return self.get_case(case_id)

    def _touch(self, case_id: str, author: str, kind: str, text: str, **values: Any) -> None:
        checked("author", author)
        checked("text", text, limit=LONG_CHARS, multiline=True)
        if not text.strip():
            raise InvalidValueError(kind, text, ["some text"])
        at = time.time()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(cases).where(cases.c.id == case_id).values(updated_at=at, **values)
            )
            if done.rowcount == 0:
                raise NotFoundError("case", case_id, "see `distillguard cases list`")
            _note(conn, case_id, at, author, kind, text)
            _audit(conn, AuditEntry(at, author, f"case_{kind}", case_id, text))

    # -- the allowlist: benign labels, some with an end
    @guarded
    def allowlist_account(
        self, account_id: str, author: str, reason: str, until: float | None, via: str = "cli"
    ) -> float | None:
        """Label `account_id` benign until `until` (Unix seconds; None: for good), so the
        policy leaves it alone; the audit log names `author` and keeps `reason`."""
        checked("author", author)
        checked("reason", reason, limit=LONG_CHARS, multiline=True)
        if not reason.strip():
            raise InvalidValueError("reason", reason, ["a sentence saying why"])
        at = time.time()
        if until is not None and until <= at:
            raise InvalidValueError("until", str(until), ["a time in the future"])
        with self.engine.begin() as conn:
            if (
                conn.execute(select(accounts.c.id).where(accounts.c.id == account_id)).first()
                is None
            ):
                raise NotFoundError("account", account_id, "see `distillguard accounts list`")
            conn.execute(delete(review_labels).where(review_labels.c.account == account_id))
            conn.execute(
                insert(review_labels).values(
                    account=account_id, label="benign", at=at, author=author, expires_at=until
                )
            )
            detail = {"until": until, "via": via}
            _audit(conn, AuditEntry(at, author, "allowlist", account_id, reason, detail))
        return until

    @guarded
    def end_allowlist(self, account_id: str, author: str, reason: str, via: str = "cli") -> None:
        """End an account's allowlisting (or a dismissal's benign label) now: the policy
        weighs it again. Audited as "unallowlist" under `author`, with `reason`."""
        checked("author", author)
        checked("reason", reason, limit=LONG_CHARS, multiline=True)
        if not reason.strip():
            raise InvalidValueError("reason", reason, ["a sentence saying why"])
        t = review_labels.c
        with self.engine.begin() as conn:
            ended = conn.execute(
                delete(review_labels).where(t.account == account_id, t.label == "benign")
            )
            if ended.rowcount == 0:
                raise NotFoundError(
                    "allowlisting", account_id, "see the account's page or `distillguard audit-log`"
                )
            detail = {"via": via}
            _audit(conn, AuditEntry(time.time(), author, "unallowlist", account_id, reason, detail))

    @guarded
    def change_status(
        self, account_id: str, status: AccountStatus, author: str, reason: str, via: str = "cli"
    ) -> None:
        """Suspend or activate an account, audited under `author` with `reason`, as one write."""
        checked("author", author)
        checked("reason", reason, limit=LONG_CHARS, multiline=True)
        if not reason.strip():
            raise InvalidValueError("reason", reason, ["a sentence saying why"])
        action = "suspend" if status is AccountStatus.SUSPENDED else "activate"
        with self.engine.begin() as conn:
            done = conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(status=status.value)
            )
            if done.rowcount == 0:
                raise NotFoundError("account", account_id, "see `distillguard accounts list`")
            entry = AuditEntry(time.time(), author, action, account_id, reason, {"via": via})
            _audit(conn, entry)

    @guarded
    def allowlisted(self, now: float | None = None) -> dict[str, float | None]:
        """Account -> the end of its allowlisting (None: for good), the ended ones left out."""
        now = time.time() if now is None else now
        t = review_labels.c
        query = select(t.account, t.expires_at).where(
            t.label == "benign", (t.expires_at.is_(None)) | (t.expires_at > now)
        )
        with self.engine.connect() as conn:
            return {a: until for a, until in conn.execute(query)}

    # -- labels and audit log
    @guarded
    def review_labels(self) -> dict[str, str]:
        """Account -> "benign" or "extraction", as reviewers decided."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(review_labels.c.account, review_labels.c.label))
            return {a: label for a, label in rows}

    @guarded
    def record_audit(self, entries: Iterable[AuditEntry]) -> None:
        with self.engine.begin() as conn:
            for entry in entries:
                _audit(conn, entry)

    @guarded
    def audit_log(
        self, subject: str | None = None, limit: int = 1000, skip: int = 0
    ) -> list[AuditEntry]:
        """The newest `limit` entries (after skipping the `skip` newest), oldest first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(skip)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query).mappings())
        return [
            AuditEntry(
                r["at"],
                r["actor"],
                r["action"],
                r["subject"],
                r["reason"],
                orjson.loads(r["detail"]),
                r["id"],
            )
            for r in reversed(rows)
        ]


def _status(value: str) -> CaseStatus:
    try:
        return CaseStatus(value)
    except ValueError:
        raise InvalidValueError("status", value, [s.value for s in CaseStatus]) from None


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Evidence: points appended (the newest kept), samples too; reasons are the newest."""
    points = [*old.get("points", []), *new.get("points", [])][-MAX_POINTS:]
    samples = [*old.get("samples", []), *new.get("samples", [])][-MAX_SAMPLES:]
    out = {**old, **new, "points": points, "samples": samples}
    return out


def _open(conn: Any, o: CaseOpening) -> str:
    """Open a case on `o.subject`, or update its open one, in `conn`'s transaction."""
    row = (
        conn.execute(select(cases).where(cases.c.subject == o.subject, cases.c.status == _OPEN))
        .mappings()
        .first()
    )
    if row is None:
        case_id = new_case_id()
        conn.execute(
            insert(cases).values(
                id=case_id,
                kind=o.kind,
                subject=o.subject,
                status=_OPEN,
                opened_at=o.at,
                updated_at=o.at,
                level=o.level,
                risk=o.risk,
                members=orjson.dumps(sorted(set(o.members))).decode(),
                evidence=orjson.dumps(_merged({}, o.evidence)).decode(),
            )
        )
        note, action = f"opened at level {o.level}, risk {o.risk:.2f}", "case_opened"
    else:
        case_id = row["id"]
        old = orjson.loads(row["evidence"])
        joined = sorted(set(orjson.loads(row["members"])) | set(o.members))
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(
                updated_at=o.at,
                level=o.level,
                risk=max(o.risk, row["risk"]),
                members=orjson.dumps(joined).decode(),
                evidence=orjson.dumps(_merged(old, o.evidence)).decode(),
            )
        )
        note, action = f"now at level {o.level}, risk {o.risk:.2f}", "case_updated"
    _note(conn, case_id, o.at, o.actor, "update", note)
    reasons = "; ".join(o.evidence.get("reasons", [])[:3])
    _audit(conn, AuditEntry(o.at, o.actor, action, o.subject, reasons, {"case": case_id}))
    return str(case_id)


# Built once: a statement built per row costs SQLAlchemy more than the row costs SQLite.
_NOTE, _AUDIT = insert(case_notes), insert(audit_log)
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:s))")
_OPEN = CaseStatus.OPEN.value


def _note(conn: Any, case_id: str, at: float, author: str, kind: str, text: str) -> None:
    conn.execute(
        _NOTE, {"case_id": case_id, "at": at, "author": author, "kind": kind, "text": text}
    )


def _audit(conn: Any, e: AuditEntry) -> None:
    conn.execute(
        _AUDIT,
        {
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "reason": e.reason,
            "detail": orjson.dumps(e.detail).decode(),
        },
    )


def case_from_row(row: RowMapping, notes: list[CaseNote]) -> Case:
    return Case(
        id=row["id"],
        kind=row["kind"],
        subject=row["subject"],
        status=CaseStatus(row["status"]),
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        level=row["level"],
        risk=row["risk"],
        members=tuple(orjson.loads(row["members"])),
        evidence=orjson.loads(row["evidence"]),
        assignee=row["assignee"],
        notes=tuple(notes),
    )
