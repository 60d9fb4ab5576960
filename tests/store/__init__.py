"""Tests of runner.store on SQLite and PostgreSQL."""
