"""Reviewers (people who work the review queue) and their console sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviewers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "reviewer_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("reviewer_id", sa.String(32), sa.ForeignKey("reviewers.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_reviewer_sessions_expires_at", "reviewer_sessions", ["expires_at"])
    # The queue page sorts open cases by risk among 10,000s.
    op.create_index("ix_cases_status_risk", "cases", ["status", "risk"])
    op.create_index("ix_cases_status_opened_at", "cases", ["status", "opened_at"])
    op.create_index("ix_cases_status_level_risk", "cases", ["status", "level", "risk"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_level_risk", table_name="cases")
    op.drop_index("ix_cases_status_opened_at", table_name="cases")
    op.drop_index("ix_cases_status_risk", table_name="cases")
    op.drop_index("ix_reviewer_sessions_expires_at", table_name="reviewer_sessions")
    op.drop_table("reviewer_sessions")
    op.drop_table("reviewers")
