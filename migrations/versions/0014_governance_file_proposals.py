"""proposals that replace a governance file (OWNERS.toml, policy.toml, specreg.toml), and those files' versions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('governance_file_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_governance_file_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_file_versions'))
    )
    with op.batch_alter_table('governance_file_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_file_versions_seq'), ['seq'], unique=False)
    with op.batch_alter_table('proposed_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_text', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_proposed_changes_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_proposed_changes_kind'), "kind IN ('change', 'add', 'remove', 'file')")


def downgrade() -> None:
    """Undo this revision (proposals that replace a governance file must be gone first)."""
    with op.batch_alter_table('proposed_changes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposed_changes_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_proposed_changes_kind'), "kind IN ('change', 'add', 'remove')")
        batch_op.drop_column('base_text')
    with op.batch_alter_table('governance_file_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_file_versions_seq'))
    op.drop_table('governance_file_versions')
