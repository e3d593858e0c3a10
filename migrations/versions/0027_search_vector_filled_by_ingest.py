"""search: PostgreSQL's search vector is written after the row, not generated with it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 19:00:00.000000

Revision 0005 made clause_versions.search_vector a stored generated column, so every COPY of an
ingest batch waited while the server parsed the batch's text (0.74 s of a 3 s ingest of the
reference-shaped repo). The column becomes a plain one, keeping every value it holds; the code
that writes versions fills it (registry/history/search_index.py: NULL means not indexed yet, and the
partial index ix_clause_versions_unindexed finds those). SQLite is unchanged (its FTS5 table was
always filled by that code). Downgrading makes the column generated again.

This revision imports the column's name and its expression from that code rather than a copy of
them (as 0026 imports the sealing code): the fill it does on PostgreSQL 12 and the column a downgrade
generates are then what the code fills, the text capped as it caps it (search_index.INDEXED_CHARS).
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from registry.history.search_index import PG_VECTOR, SEARCH_VECTOR

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    if (bind.dialect.server_version_info or (13,)) >= (13,):
        op.execute(f"ALTER TABLE clause_versions ALTER COLUMN {SEARCH_VECTOR} DROP EXPRESSION")
    else:  # PostgreSQL 12 has no DROP EXPRESSION: a plain column, filled again
        op.execute("DROP INDEX ix_clause_versions_search")
        op.execute(f"ALTER TABLE clause_versions DROP COLUMN {SEARCH_VECTOR}")
        op.execute(f"ALTER TABLE clause_versions ADD COLUMN {SEARCH_VECTOR} tsvector")
        op.execute(f"UPDATE clause_versions SET {SEARCH_VECTOR} = {PG_VECTOR}")
        op.execute(f"CREATE INDEX ix_clause_versions_search ON clause_versions USING gin ({SEARCH_VECTOR})")
    op.execute(f"CREATE INDEX ix_clause_versions_unindexed ON clause_versions (id) WHERE {SEARCH_VECTOR} IS NULL")


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_clause_versions_unindexed")
    op.execute("DROP INDEX ix_clause_versions_search")
    op.execute(f"ALTER TABLE clause_versions DROP COLUMN {SEARCH_VECTOR}")
    op.execute(f"ALTER TABLE clause_versions ADD COLUMN {SEARCH_VECTOR} tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
    op.execute(f"CREATE INDEX ix_clause_versions_search ON clause_versions USING gin ({SEARCH_VECTOR})")
