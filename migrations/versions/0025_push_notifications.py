"""push notifications the hook accepted, remembered for a window so a replay is refused

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('push_notifications',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_push_notifications'))
    )
    op.create_index(op.f('ix_push_notifications_received_at'), 'push_notifications', ['received_at'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index(op.f('ix_push_notifications_received_at'), table_name='push_notifications')
    op.drop_table('push_notifications')
