"""clause ledger

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-30 05:37:46.056146
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('ingest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('branch', sa.String(length=255), nullable=False),
    sa.Column('head_before', sa.String(length=40), nullable=True),
    sa.Column('head_after', sa.String(length=40), nullable=True),
    sa.Column('commits', sa.Integer(), nullable=False),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_runs'))
    )
    op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repo_path', sa.Text(), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=False),
    sa.Column('includes', sa.JSON(), nullable=False),
    sa.Column('head_sha', sa.String(length=40), nullable=True),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger'))
    )
    op.create_table('tags',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('commit_sha', sa.String(length=40), nullable=False),
    sa.Column('tagged_at', sa.DateTime(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_tags'))
    )
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tags_commit_sha'), ['commit_sha'], unique=False)

    op.create_table('commits',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha', sa.String(length=40), nullable=False),
    sa.Column('parents', sa.Text(), nullable=False),
    sa.Column('author_name', sa.Text(), nullable=False),
    sa.Column('author_email', sa.Text(), nullable=False),
    sa.Column('authored_at', sa.DateTime(), nullable=False),
    sa.Column('committer_name', sa.Text(), nullable=False),
    sa.Column('committer_email', sa.Text(), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_commits_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_commits')),
    sa.UniqueConstraint('sha', name=op.f('uq_commits_sha'))
    )
    with op.batch_alter_table('commits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commits_committed_at'), ['committed_at'], unique=False)

    op.create_table('history_rewrites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('old_head', sa.String(length=40), nullable=False),
    sa.Column('new_head', sa.String(length=40), nullable=False),
    sa.Column('fork_sha', sa.String(length=40), nullable=True),
    sa.Column('abandoned_commits', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_history_rewrites_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_rewrites'))
    )
    op.create_table('ingest_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('commit_sha', sa.String(length=40), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_ingest_warnings_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_warnings'))
    )
    with op.batch_alter_table('ingest_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_warnings_run_id'), ['run_id'], unique=False)

    op.create_table('clauses',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['first_seq'], ['commits.seq'], name=op.f('fk_clauses_first_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clauses')),
    sa.UniqueConstraint('key', name=op.f('uq_clauses_key'))
    )
    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('blob_sha', sa.String(length=40), nullable=True),
    sa.Column('clause_ids', sa.JSON(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_document_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions'))
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index('ix_document_versions_path_seq', ['path', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_versions_seq'), ['seq'], unique=False)

    op.create_table('clause_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_clause_keys_clause_id_clauses')),
    sa.ForeignKeyConstraint(['first_seq'], ['commits.seq'], name=op.f('fk_clause_keys_first_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clause_keys')),
    sa.UniqueConstraint('clause_id', 'key', name=op.f('uq_clause_keys_clause_id'))
    )
    with op.batch_alter_table('clause_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clause_keys_key'), ['key'], unique=False)

    op.create_table('clause_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('document', sa.String(length=1024), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('changes', sa.String(length=100), nullable=False),
    sa.Column('previous_key', sa.String(length=255), nullable=True),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_clause_versions_clause_id_clauses')),
    sa.ForeignKeyConstraint(['parent_id'], ['clauses.id'], name=op.f('fk_clause_versions_parent_id_clauses')),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_clause_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clause_versions'))
    )
    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.create_index('ix_clause_versions_clause_seq', ['clause_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_clause_versions_seq'), ['seq'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_versions_seq'))
        batch_op.drop_index('ix_clause_versions_clause_seq')

    op.drop_table('clause_versions')
    with op.batch_alter_table('clause_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_keys_key'))

    op.drop_table('clause_keys')
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_versions_seq'))
        batch_op.drop_index('ix_document_versions_path_seq')

    op.drop_table('document_versions')
    op.drop_table('clauses')
    with op.batch_alter_table('ingest_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_warnings_run_id'))

    op.drop_table('ingest_warnings')
    op.drop_table('history_rewrites')
    with op.batch_alter_table('commits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commits_committed_at'))

    op.drop_table('commits')
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tags_commit_sha'))

    op.drop_table('tags')
    op.drop_table('ledger')
    op.drop_table('ingest_runs')
