"""The SQL store: SQLAlchemy Core over SQLite or PostgreSQL (the engine decides which)."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from distillguard.errors import (
    InvalidKeyError,
    InvalidValueError,
    NotFoundError,
)
from distillguard.store import decisions, detector_state
from distillguard.store.case_queue import CaseQueueMixin
from distillguard.store.cases import CasesMixin
from distillguard.store.guard import guarded as _guarded
from distillguard.store.records import (
    ORG_TYPES,
    Account,
    AccountStatus,
    ApiKey,
    IssuedKey,
    Principal,
    Tier,
    Verification,
)
from distillguard.store.reviewers import ReviewersMixin
from distillguard.store.secrets import (
    DEFAULT_COST,
    KdfCost,
    hash_secret,
    key_id_of,
    new_key_id,
    new_secret,
    verify_secret,
)
from distillguard.store.tables import accounts, api_keys, tiers
from distillguard.store.text import checked


def new_account_id() -> str:
    return "acct_" + secrets.token_hex(6)


class SqlStore(CasesMixin, CaseQueueMixin, ReviewersMixin):
    """`Store` over a migrated database; safe to share between threads."""

    def __init__(self, engine: Engine, *, kdf_cost: KdfCost = DEFAULT_COST) -> None:
        self.engine = engine
        self._cost = kdf_cost

    # -- tiers
    @_guarded
    def get_tier(self, name: str) -> Tier:
        with self.engine.connect() as conn:
            row = conn.execute(select(tiers).where(tiers.c.name == name)).mappings().first()
        if row is None:
            raise NotFoundError("tier", name, f"use one of {self._tier_names()}")
        return _tier(row)

    @_guarded
    def list_tiers(self) -> list[Tier]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tiers).order_by(tiers.c.name)).mappings().all()
        return [_tier(r) for r in rows]

    @_guarded
    def put_tier(self, tier: Tier) -> None:
        values = {
            "requests_per_min": tier.requests_per_min,
            "tokens_per_min": tier.tokens_per_min,
            "daily_tokens": tier.daily_tokens,
            "allowed_params": None
            if tier.allowed_params is None
            else json.dumps(sorted(tier.allowed_params)),
        }
        for _ in range(2):  # a replica starting at the same time may insert it first
            try:
                with self.engine.begin() as conn:
                    where = tiers.c.name == tier.name
                    if conn.execute(update(tiers).where(where).values(**values)).rowcount == 0:
                        conn.execute(insert(tiers).values(name=tier.name, **values))
                return
            except IntegrityError:
                continue

    def _tier_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(tiers.c.name).order_by(tiers.c.name)).scalars())

    # -- accounts
    @_guarded
    def create_account(self, name: str, *, tier: str, org: str | None = None) -> Account:
        checked("name", name)
        if org is not None:
            checked("org", org)
        self.get_tier(tier)  # a clear error before the foreign key's
        account = Account(
            id=new_account_id(),
            name=name,
            tier=tier,
            status=AccountStatus.ACTIVE,
            org=org,
            created_at=time.time(),
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert(accounts).values(
                    id=account.id,
                    name=name,
                    org=org,
                    tier=tier,
                    status=account.status.value,
                    created_at=account.created_at,
                )
            )
        return account

    @_guarded
    def get_account(self, account_id: str) -> Account:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()
            )
        if row is None:
            raise NotFoundError("account", account_id, "see `distillguard accounts list`")
        return _account(row)

    @_guarded
    def list_accounts(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.created_at)).mappings().all()
        return [_account(r) for r in rows]

    @_guarded
    def set_status(self, account_id: str, status: AccountStatus) -> Account:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(status=status.value)
            )
        if done.rowcount == 0:
            raise NotFoundError("account", account_id, "see `distillguard accounts list`")
        return self.get_account(account_id)

    # -- keys
    @_guarded
    def create_key(self, account_id: str) -> IssuedKey:
        self.get_account(account_id)
        for _ in range(3):  # a 48-bit id collides about never; retry rather than fail if it does
            key = ApiKey(id=new_key_id(), account_id=account_id, created_at=time.time())
            secret = new_secret(key.id)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(api_keys).values(
                            id=key.id,
                            account_id=account_id,
                            secret_hash=hash_secret(secret, cost=self._cost),
                            created_at=key.created_at,
                        )
                    )
            except IntegrityError:
                continue
            return IssuedKey(key, secret)
        raise RuntimeError("could not draw an unused key id in 3 tries")  # pragma: no cover

    @_guarded
    def list_keys(self, account_id: str) -> list[ApiKey]:
        self.get_account(account_id)
        query = (
            select(api_keys)
            .where(api_keys.c.account_id == account_id)
            .order_by(api_keys.c.created_at)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_key(r) for r in rows]

    @_guarded
    def revoke_key(self, key_id: str) -> ApiKey:
        with self.engine.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).mappings().first()
        if row is None:
            raise NotFoundError("API key", key_id, "key ids look like key_0123456789ab")
        return _key(row)

    @_guarded
    def authenticate(self, secret: str, known_hash: str = "") -> Principal:
        key_id = key_id_of(secret)
        if key_id is None:
            raise InvalidKeyError("it is not a distillguard key (they start with 'sk-dg-')")
        query = (
            select(api_keys, accounts, tiers)
            .select_from(api_keys.join(accounts).join(tiers))
            .where(api_keys.c.id == key_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise InvalidKeyError(f"no key has the id {key_id}; check the whole key was sent")
        matched = bool(known_hash) and hmac.compare_digest(known_hash, row.secret_hash)
        if not matched and not verify_secret(secret, row.secret_hash):
            # The id is not secret (it is in the key's text), so naming it tells nothing new;
            # whether the key is revoked or whose it is stays unsaid.
            raise InvalidKeyError(f"the secret is wrong for key id {key_id}", key_id)
        if row.revoked_at is not None:
            raise InvalidKeyError("the key was revoked", key_id)
        m = row._mapping
        account = Account(
            id=m[accounts.c.id],
            name=m[accounts.c.name],
            tier=m[accounts.c.tier],
            status=AccountStatus(m[accounts.c.status]),
            org=m[accounts.c.org],
            created_at=m[accounts.c.created_at],
            verification=Verification(m[accounts.c.verification]),
            org_type=m[accounts.c.org_type],
            affiliated_developer=bool(m[accounts.c.affiliated_developer]),
        )
        tier = Tier(
            name=m[tiers.c.name],
            requests_per_min=m[tiers.c.requests_per_min],
            tokens_per_min=m[tiers.c.tokens_per_min],
            daily_tokens=m[tiers.c.daily_tokens],
            allowed_params=_params(m[tiers.c.allowed_params]),
        )
        return Principal(account, key_id, tier, key_hash=row.secret_hash)

    @_guarded
    def set_attributes(
        self,
        account_id: str,
        *,
        verification: str | None = None,
        org_type: str | None = None,
        affiliated_developer: bool | None = None,
    ) -> Account:
        values: dict[str, object] = {}
        if verification is not None:
            try:
                values["verification"] = Verification(verification).value
            except ValueError:
                known = [v.value for v in Verification]
                raise InvalidValueError("verification", verification, known) from None
        if org_type is not None:
            if org_type not in ORG_TYPES:
                raise InvalidValueError("org_type", org_type, sorted(ORG_TYPES))
            values["org_type"] = org_type
        if affiliated_developer is not None:
            values["affiliated_developer"] = affiliated_developer
        if values:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(accounts).where(accounts.c.id == account_id).values(**values)
                )
            if done.rowcount == 0:
                raise NotFoundError("account", account_id, "see `distillguard accounts list`")
        return self.get_account(account_id)

    # -- detector state
    @_guarded
    def save_detector_state(self, states: Mapping[str, bytes]) -> None:
        detector_state.save(self.engine, states)

    @_guarded
    def load_detector_state(self) -> dict[str, bytes]:
        return detector_state.load(self.engine)

    @_guarded
    def load_detector_state_since(self, after: float) -> tuple[dict[str, bytes], float]:
        return detector_state.load_since(self.engine, after)

    @_guarded
    def load_detector_state_keys(self, keys: Sequence[str]) -> dict[str, bytes]:
        return detector_state.load_keys(self.engine, keys)

    @_guarded
    def publish_decisions(self, entries: Mapping[str, bytes]) -> None:
        decisions.publish(self.engine, entries)

    @_guarded
    def decisions_since(self, version: int, limit: int = 10_000) -> list[tuple[str, bytes, int]]:
        return decisions.since(self.engine, version, limit)

    def close(self) -> None:
        self.engine.dispose()


def _params(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _tier(row: RowMapping) -> Tier:
    return Tier(
        name=row["name"],
        requests_per_min=row["requests_per_min"],
        tokens_per_min=row["tokens_per_min"],
        daily_tokens=row["daily_tokens"],
        allowed_params=_params(row["allowed_params"]),
    )


def _account(row: RowMapping) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        tier=row["tier"],
        status=AccountStatus(row["status"]),
        org=row["org"],
        created_at=row["created_at"],
        verification=Verification(row["verification"]),
        org_type=row["org_type"],
        affiliated_developer=bool(row["affiliated_developer"]),
    )


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
