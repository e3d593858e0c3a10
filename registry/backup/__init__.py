"""Backups: the database (every table, portable between SQLite and PostgreSQL) and the spec repo in one archive, and restores."""
