"""Reviewers (people, each with a role and a password) and their console sessions.

A password is kept only as a salted scrypt hash (`store.secrets`, as API keys are). A session
is a random token the browser holds in a cookie; the store keeps its SHA-256 (the token has
256 bits, so a fast hash is enough and a lookup is one indexed read), its expiry and the
session's CSRF token. Signing out, or disabling the reviewer, ends sessions at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Engine, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from distillguard.errors import InvalidValueError, NotFoundError, StoreError
from distillguard.store.guard import guarded
from distillguard.store.secrets import KdfCost, hash_secret, verify_secret
from distillguard.store.tables import reviewer_sessions, reviewers
from distillguard.store.text import checked

MIN_PASSWORD = 12  # characters; a reviewer can suspend customers
# Hashes (one per cost) to check unknown names against, so that an unknown name takes as
# long as a wrong password and timing does not tell which names exist.
_DUMMY_HASHES: dict[KdfCost, str] = {}


class ReviewerRole(StrEnum):
    VIEWER = "viewer"  # reads everything, changes nothing
    REVIEWER = "reviewer"  # works cases and accounts
    ADMIN = "admin"  # a reviewer who may also manage the console

    @property
    def can_act(self) -> bool:
        return self is not ReviewerRole.VIEWER


@dataclass(frozen=True, slots=True)
class Reviewer:
    id: str
    name: str
    role: ReviewerRole
    created_at: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class ReviewerSession:
    """A signed-in reviewer: `token` is only set when the session was just made."""

    reviewer: Reviewer
    csrf: str = field(repr=False)
    expires_at: float
    token: str = field(default="", repr=False)


class LoginRejectedError(StoreError):
    """A name and password that do not match an active reviewer (which one is not said)."""

    def __init__(self) -> None:
        super().__init__("wrong name or password (or the reviewer is disabled)")


class SessionExpiredError(StoreError):
    """A console session token that is unknown, ended or past its expiry."""

    def __init__(self) -> None:
        super().__init__("the session has ended; sign in again")


def _role(value: str) -> ReviewerRole:
    try:
        return ReviewerRole(value)
    except ValueError:
        raise InvalidValueError("role", value, [r.value for r in ReviewerRole]) from None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reviewer(row: RowMapping) -> Reviewer:
    return Reviewer(
        id=row["id"],
        name=row["name"],
        role=ReviewerRole(row["role"]),
        created_at=row["created_at"],
        active=bool(row["active"]),
    )


class ReviewersMixin:
    """The reviewer and session methods of `SqlStore` (which provides `engine`, `_cost`)."""

    engine: Engine
    _cost: KdfCost

    @guarded
    def create_reviewer(self, name: str, role: str, password: str) -> Reviewer:
        checked("name", name)
        if not name.strip():
            raise InvalidValueError("name", name, ["a non-empty name"])
        kind = _role(role)
        _check_password(password)
        reviewer = Reviewer("rev_" + secrets.token_hex(6), name, kind, time.time())
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(reviewers).values(
                        id=reviewer.id,
                        name=name,
                        role=kind.value,
                        password_hash=hash_secret(password, cost=self._cost),
                        created_at=reviewer.created_at,
                        active=True,
                    )
                )
        except IntegrityError:
            raise InvalidValueError("name", name, ["a name no other reviewer has"]) from None
        return reviewer

    @guarded
    def get_reviewer(self, name: str) -> Reviewer:
        with self.engine.connect() as conn:
            row = conn.execute(select(reviewers).where(reviewers.c.name == name)).mappings().first()
        if row is None:
            raise NotFoundError("reviewer", name, "see `distillguard reviewers list`")
        return _reviewer(row)

    @guarded
    def list_reviewers(self) -> list[Reviewer]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(reviewers).order_by(reviewers.c.name)).mappings().all()
        return [_reviewer(r) for r in rows]

    @guarded
    def update_reviewer(
        self,
        name: str,
        *,
        role: str | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> Reviewer:
        """Change a reviewer; a new password or disabling ends their sessions."""
        reviewer = self.get_reviewer(name)
        values: dict[str, object] = {}
        if role is not None:
            values["role"] = _role(role).value
        if password is not None:
            _check_password(password)
            values["password_hash"] = hash_secret(password, cost=self._cost)
        if active is not None:
            values["active"] = active
        with self.engine.begin() as conn:
            if values:
                conn.execute(update(reviewers).where(reviewers.c.id == reviewer.id).values(values))
            if password is not None or active is False:
                conn.execute(
                    delete(reviewer_sessions).where(reviewer_sessions.c.reviewer_id == reviewer.id)
                )
        return self.get_reviewer(name)

    @guarded
    def login_reviewer(self, name: str, password: str, ttl_s: float) -> ReviewerSession:
        """A new session for `name` if `password` is theirs; `LoginRejectedError` otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(select(reviewers).where(reviewers.c.name == name)).mappings().first()
        if row is not None:
            stored = row["password_hash"]
        else:
            stored = _DUMMY_HASHES.setdefault(self._cost, hash_secret("-", cost=self._cost))
        good = verify_secret(password, stored)
        if row is None or not good or not row["active"]:
            raise LoginRejectedError()
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(reviewer_sessions).where(reviewer_sessions.c.expires_at < now))
            conn.execute(
                insert(reviewer_sessions).values(
                    token_hash=_token_hash(token),
                    reviewer_id=row["id"],
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + ttl_s,
                )
            )
        return ReviewerSession(_reviewer(row), csrf, now + ttl_s, token)

    @guarded
    def reviewer_session(self, token: str) -> ReviewerSession:
        """The live session of `token`; `SessionExpiredError` if there is none."""
        query = (
            select(reviewer_sessions.c.csrf, reviewer_sessions.c.expires_at, reviewers)
            .select_from(reviewer_sessions.join(reviewers))
            .where(reviewer_sessions.c.token_hash == _token_hash(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["expires_at"] <= time.time() or not row["active"]:
            raise SessionExpiredError()
        return ReviewerSession(_reviewer(row), row["csrf"], row["expires_at"])

    @guarded
    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(reviewer_sessions).where(
                    reviewer_sessions.c.token_hash == _token_hash(token)
                )
            )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidValueError("password", "(hidden)", [f"at least {MIN_PASSWORD} characters"])
    checked("password", password)
