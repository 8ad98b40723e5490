"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The migrations in `migrations/versions/` create them; this module describes them for queries.
A change here needs a new migration beside the others.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

tiers = Table(
    "tiers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("requests_per_min", Integer, nullable=False),
    Column("tokens_per_min", BigInteger, nullable=False),
    Column("daily_tokens", BigInteger, nullable=False),
    Column("allowed_params", Text, nullable=True),  # JSON list; NULL: every parameter
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("org", String(200), nullable=True),
    Column("tier", String(64), ForeignKey("tiers.name"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("verification", String(16), nullable=False, server_default="none"),
    Column("org_type", String(32), nullable=True),
    Column("affiliated_developer", Boolean, nullable=False, server_default=false()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    Index("ix_api_keys_account_id", "account_id"),
)

# One row per account (and one for the analyzer's campaigns): zlib-compressed JSON.
detector_state = Table(
    "detector_state",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("state", LargeBinary, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# The policy level a detection worker decided for an account, for the gateways to enforce
# (store/decisions.py); `version` grows with every write, across rows.
decisions = Table(
    "decisions",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("decision", LargeBinary, nullable=False),
    Column("version", BigInteger, nullable=False, index=True),
)

# A case: an account (or a campaign of accounts) that crossed a review threshold.
cases = Table(
    "cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # "account" or "campaign"
    Column("subject", String(200), nullable=False),  # account id or campaign id
    Column("status", String(16), nullable=False),  # open, confirmed, dismissed
    Column("opened_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("assignee", String(200), nullable=True),
    Column("level", String(64), nullable=False),  # enforcement level when last updated
    Column("risk", Float, nullable=False),  # highest risk seen
    Column("members", Text, nullable=False),  # JSON list of account ids
    Column("evidence", Text, nullable=False),  # JSON: scores over time, reasons, samples
    Index("ix_cases_subject_status", "subject", "status"),
    Index("ix_cases_status_risk", "status", "risk"),
    Index("ix_cases_status_opened_at", "status", "opened_at"),
    Index("ix_cases_status_level_risk", "status", "level", "risk"),
)

case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("author", String(200), nullable=False),
    Column("kind", String(32), nullable=False),  # comment, assign, update, confirm, dismiss
    Column("text", Text, nullable=False),
    Index("ix_case_notes_case_id", "case_id"),
)

# What reviewers decided an account is: calibration reads the benign ones back.
review_labels = Table(
    "review_labels",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("label", String(16), nullable=False),  # benign or extraction
    Column("case_id", String(32), nullable=True),
    Column("at", Float, nullable=False),
    Column("author", String(200), nullable=False),
    Column("expires_at", Float, nullable=True),  # an allowlisting's end; NULL: for good
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON
    Index("ix_audit_log_subject", "subject"),
    Index("ix_audit_log_action_at", "action", "at"),  # the overview's cases per day
)

# People who work the review queue in the console (store/reviewers.py).
reviewers = Table(
    "reviewers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # viewer, reviewer, admin
    Column("password_hash", String(200), nullable=False),  # scrypt$N$r$p$salt$hash
    Column("created_at", Float, nullable=False),
    Column("active", Boolean, nullable=False),
)

# A console sign-in: only the SHA-256 of the cookie's token is kept, so a copy of the
# database cannot be replayed as a session.
reviewer_sessions = Table(
    "reviewer_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("reviewer_id", String(32), ForeignKey("reviewers.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_reviewer_sessions_expires_at", "expires_at"),
)
