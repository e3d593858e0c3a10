"""audit events: an index on (subject, action)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:40:00.000000

A proposal's timeline, its merge trailers and counted approvals, the audit trail's filters and the
kept verdicts (the newest event on each listed proposal) all look events up by subject, most with an
action; the only index was on action, which reads every event of that kind. A plain CREATE INDEX,
never a batch table copy: copying audit_events on SQLite would drop its append-only triggers.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index('ix_audit_events_subject_action', 'audit_events', ['subject', 'action'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index('ix_audit_events_subject_action', table_name='audit_events')
