"""document versions git holds but ingest could not read (not UTF-8, too large, unparsable):
the reason, so such a commit is an unapproved change and the clause page can say so

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreadable', sa.Text(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_column('unreadable')
