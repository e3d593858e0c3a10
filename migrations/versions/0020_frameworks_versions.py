"""frameworks.toml versions: the obligations each clause answers, recorded per commit

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:30:00.000000

Commits ingested before this revision are not read again: a frameworks.toml that is already in
the spec repo is recorded when a commit next changes it (a direct change is an unapproved change,
so make it with a governance proposal). A spec repo that never had the file needs nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('frameworks_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_frameworks_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks_versions'))
    )
    with op.batch_alter_table('frameworks_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frameworks_versions_seq'), ['seq'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('frameworks_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frameworks_versions_seq'))
    op.drop_table('frameworks_versions')
