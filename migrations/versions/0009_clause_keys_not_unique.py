"""clause ids need not be unique across lineages

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:51:12.705888
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('clauses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_clauses_key'), type_='unique')
        batch_op.create_index(batch_op.f('ix_clauses_key'), ['key'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('clauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clauses_key'))
        batch_op.create_unique_constraint(batch_op.f('uq_clauses_key'), ['key'])

