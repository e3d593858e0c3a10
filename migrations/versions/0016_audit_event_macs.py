"""audit events keyed: an HMAC per event from the key epoch on

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:40:00.000000

Events written before this revision keep mac NULL and are checked by their hash alone (the key
epoch starts at the first event with a MAC; docs/accountability.md). A plain ADD COLUMN, never a
batch table copy: copying audit_events on SQLite would drop its append-only triggers.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column('audit_events', sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column('audit_events', 'mac')
