"""required checks: check reports per proposal revision, API token scopes, review classes

Tokens made before scopes keep full rights (`scope` defaults to 'full'); a `checks` token may only
report checks. Each review keeps the editorial/normative class of every clause it saw.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 06:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add check_reports, api_tokens.scope and reviews.classes."""
    op.create_table('check_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'success', 'failure')", name=op.f('ck_check_reports_status')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_check_reports_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['reporter_id'], ['people.id'], name=op.f('fk_check_reports_reporter_id_people')),
    sa.ForeignKeyConstraint(['revision_id'], ['proposal_revisions.id'],
                            name=op.f('fk_check_reports_revision_id_proposal_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_reports'))
    )
    with op.batch_alter_table('check_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_reports_proposal_id'), ['proposal_id'], unique=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=10), server_default='full', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_api_tokens_scope'), "scope IN ('full', 'checks')")
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classes', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('classes')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_api_tokens_scope'), type_='check')
        batch_op.drop_column('scope')
    with op.batch_alter_table('check_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_reports_proposal_id'))
    op.drop_table('check_reports')
