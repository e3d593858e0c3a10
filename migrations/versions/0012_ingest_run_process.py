"""the process that runs an ingest (pid, host, start), so a run whose process is gone can be marked abandoned

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('pid_started', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.drop_column('pid_started')
        batch_op.drop_column('host')
        batch_op.drop_column('pid')
