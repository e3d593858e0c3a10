"""proposals and accounts: accounts on people, API tokens, login sessions, proposals with
revisions, proposed changes, reviews and comments, policy.toml versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:07:47.032871
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('accounts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name=op.f('ck_accounts_role')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_accounts_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_accounts'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_api_tokens_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_person_id'), ['person_id'], unique=False)

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_login_sessions_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_login_sessions_key_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_person_id'), ['person_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('merged_sha', sa.String(length=40), nullable=True),
    sa.Column('merged_at', sa.DateTime(), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'open', 'approved', 'merged', 'rejected', 'withdrawn', 'conflicted')", name=op.f('ck_proposals_state')),
    sa.ForeignKeyConstraint(['proposer_id'], ['people.id'], name=op.f('fk_proposals_proposer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_merged_sha'), ['merged_sha'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_proposer_id'), ['proposer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_state'), ['state'], unique=False)

    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_policy_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions'))
    )
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_versions_seq'), ['seq'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_proposal_comments_author_id_people')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_comments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('base_seq', sa.Integer(), nullable=False),
    sa.Column('base_sha', sa.String(length=40), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_proposal_revisions_author_id_people')),
    sa.ForeignKeyConstraint(['base_seq'], ['commits.seq'], name=op.f('fk_proposal_revisions_base_seq_commits')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_revisions_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_revisions')),
    sa.UniqueConstraint('proposal_id', 'number', name=op.f('uq_proposal_revisions_proposal_id'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('printed_name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('meaning', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('approve', 'request_changes')", name=op.f('ck_reviews_kind')),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['people.id'], name=op.f('fk_reviews_dismissed_by_id_people')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_reviews_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_reviews_reviewer_id_people')),
    sa.ForeignKeyConstraint(['revision_id'], ['proposal_revisions.id'], name=op.f('fk_reviews_revision_id_proposal_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('proposed_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=6), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=True),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('document', sa.String(length=1024), nullable=False),
    sa.Column('after_key', sa.String(length=255), nullable=True),
    sa.Column('parent_key', sa.String(length=255), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('change', 'add', 'remove')", name=op.f('ck_proposed_changes_kind')),
    sa.ForeignKeyConstraint(['base_version_id'], ['clause_versions.id'], name=op.f('fk_proposed_changes_base_version_id_clause_versions')),
    sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_proposed_changes_clause_id_clauses')),
    sa.ForeignKeyConstraint(['revision_id'], ['proposal_revisions.id'], name=op.f('fk_proposed_changes_revision_id_proposal_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposed_changes'))
    )
    with op.batch_alter_table('proposed_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposed_changes_clause_id'), ['clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposed_changes_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposed_changes_revision_id'), ['revision_id'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('proposed_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposed_changes_revision_id'))
        batch_op.drop_index(batch_op.f('ix_proposed_changes_key'))
        batch_op.drop_index(batch_op.f('ix_proposed_changes_clause_id'))

    op.drop_table('proposed_changes')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_proposal_id'))

    op.drop_table('reviews')
    op.drop_table('proposal_revisions')
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))

    op.drop_table('proposal_comments')
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_versions_seq'))

    op.drop_table('policy_versions')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_state'))
        batch_op.drop_index(batch_op.f('ix_proposals_proposer_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_merged_sha'))

    op.drop_table('proposals')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_person_id'))

    op.drop_table('login_sessions')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_person_id'))

    op.drop_table('api_tokens')
    op.drop_table('accounts')
