"""Alembic migrations of the store; run by `distillguard.store.migrate.upgrade`."""
