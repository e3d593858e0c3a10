"""search: a stored tsvector column on PostgreSQL; drop the unused clause_versions.parent_id index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:30:00.000000

Revision 0004 indexed a tsvector *expression*, so every match was re-parsed with to_tsvector for
the recheck and for ts_rank (250 ms for a common word at 100k versions). A stored generated column
is parsed once, at write time. The column is PostgreSQL-only and not in the models (env.py keeps
autogenerate away from it); SQLite keeps its FTS5 table. The parent_id index served a children
query that now reads the document outline instead.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document registry/history/search.py matches; the same expression revision 0004 indexed.
PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, translate(key, '._:~-', '     ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B')"
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_versions_parent_id'))
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP INDEX ix_clause_versions_search")
        op.execute(f"ALTER TABLE clause_versions ADD COLUMN search_vector tsvector "
                   f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED")
        op.execute("CREATE INDEX ix_clause_versions_search ON clause_versions USING gin (search_vector)")


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP INDEX ix_clause_versions_search")
        op.execute("ALTER TABLE clause_versions DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX ix_clause_versions_search ON clause_versions USING gin (({PG_DOCUMENT}))")
    with op.batch_alter_table('clause_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clause_versions_parent_id'), ['parent_id'], unique=False)
