"""web pages: full-text search index, evaluation prompt files, clause_versions.parent_id index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:46:45.550628

Search is backend specific, so it is written by hand (and hidden from autogenerate in env.py):
- SQLite: a contentless FTS5 table `clause_search` whose rowid is clause_versions.id, with the
  Porter stemmer (PostgreSQL's 'english' configuration stems too); ingest
  appends new versions to it (registry/history/search_index.py), and this revision indexes what exists.
- PostgreSQL: a GIN index on a tsvector expression (revision 0005 replaces it with a stored
  generated column, which is faster to recheck and rank).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, translate(key, '._:~-', '     ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B')"
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('example_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_example_files_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_example_files'))
    )
    with op.batch_alter_table('example_files', schema=None) as batch_op:
        batch_op.create_index('ix_example_files_path_seq', ['path', 'seq'], unique=False)

    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clause_versions_parent_id'), ['parent_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE clause_search USING fts5("
                   "key, title, body, content='', tokenize='porter unicode61 remove_diacritics 2')")
        op.execute("INSERT INTO clause_search (rowid, key, title, body) "
                   "SELECT id, key, title, body FROM clause_versions ORDER BY id")
    else:
        op.execute(f"CREATE INDEX ix_clause_versions_search ON clause_versions USING gin (({PG_DOCUMENT}))")


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE clause_search")
    else:
        op.execute("DROP INDEX ix_clause_versions_search")

    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_versions_parent_id'))

    with op.batch_alter_table('example_files', schema=None) as batch_op:
        batch_op.drop_index('ix_example_files_path_seq')

    op.drop_table('example_files')
