"""Alembic migrations for the runner database (run by runner.store.db.upgrade)."""
