"""Accounts, API keys and tiers, with the default tiers.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from distillguard.store.records import DEFAULT_TIERS

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    tiers = op.create_table(
        "tiers",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("requests_per_min", sa.Integer, nullable=False),
        sa.Column("tokens_per_min", sa.BigInteger, nullable=False),
        sa.Column("daily_tokens", sa.BigInteger, nullable=False),
        sa.Column("allowed_params", sa.Text, nullable=True),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("org", sa.String(200), nullable=True),
        sa.Column("tier", sa.String(64), sa.ForeignKey("tiers.name"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])
    op.bulk_insert(
        tiers,
        [
            {
                "name": t.name,
                "requests_per_min": t.requests_per_min,
                "tokens_per_min": t.tokens_per_min,
                "daily_tokens": t.daily_tokens,
                "allowed_params": None
                if t.allowed_params is None
                else json.dumps(sorted(t.allowed_params)),
            }
            for t in DEFAULT_TIERS
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_api_keys_account_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("accounts")
    op.drop_table("tiers")
