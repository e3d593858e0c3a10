"""a commit's sha is unique only among live (not abandoned) commits

A branch force-pushed away and later back brings set-aside commits onto the branch again: they are
ingested as new rows while their abandoned rows stay (a version is never lost), so the same sha
may appear once live and any number of times abandoned.

Downgrading fails while such a commit exists (the old constraint cannot hold then).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text('NOT abandoned')


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('commits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_commits_sha'), type_='unique')
        batch_op.create_index(batch_op.f('ix_commits_sha'), ['sha'], unique=False)
        batch_op.create_index('uq_commits_sha_live', ['sha'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('commits', schema=None) as batch_op:
        batch_op.drop_index('uq_commits_sha_live')
        batch_op.drop_index(batch_op.f('ix_commits_sha'))
        batch_op.create_unique_constraint(batch_op.f('uq_commits_sha'), ['sha'])
