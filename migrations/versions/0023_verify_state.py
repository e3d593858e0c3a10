"""verify's schedule and the findings it already announced (the worker runs verify periodically)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 07:20:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('verify_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('announced', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verify_state'))
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table('verify_state')
