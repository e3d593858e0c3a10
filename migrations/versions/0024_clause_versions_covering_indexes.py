"""clause versions: the (clause_id, seq) and (seq) indexes also hold whether a row is live (and removed)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 09:50:00.000000

Every read of the clauses in force seeks each lineage's newest live version, and the activity chart,
the unapproved changes and their count ask per commit for its live versions: with only (clause_id,
seq) and (seq) indexed, each of those seeks also read the version's row (its text, ~1 KB) to learn
whether it is live. With `abandoned` (and for the lineage index `removed` and `id`, which a version in
force needs) in the index, they are answered from the index alone (SQLite: a covering index;
PostgreSQL: an index-only scan once autovacuum has marked the pages visible).
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index('ix_clause_versions_clause_seq_live', 'clause_versions',
                    ['clause_id', 'seq', 'id', 'abandoned', 'removed'], unique=False)
    op.create_index('ix_clause_versions_seq_live', 'clause_versions', ['seq', 'abandoned'], unique=False)
    op.drop_index('ix_clause_versions_clause_seq', table_name='clause_versions')
    op.drop_index('ix_clause_versions_seq', table_name='clause_versions')


def downgrade() -> None:
    """Undo this revision."""
    op.create_index('ix_clause_versions_seq', 'clause_versions', ['seq'], unique=False)
    op.create_index('ix_clause_versions_clause_seq', 'clause_versions', ['clause_id', 'seq'], unique=False)
    op.drop_index('ix_clause_versions_seq_live', table_name='clause_versions')
    op.drop_index('ix_clause_versions_clause_seq_live', table_name='clause_versions')
