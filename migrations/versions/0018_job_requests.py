"""requests for background work (a sync after a push), kept until the worker has done them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('job_requests',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_job_requests'))
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table('job_requests')
