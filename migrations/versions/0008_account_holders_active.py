"""account holders are active while their account is enabled (repairs rows an OWNERS.toml
change deactivated before the watcher left account holders alone)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

people = sa.table('people', sa.column('id', sa.Integer), sa.column('active', sa.Boolean))
accounts = sa.table('accounts', sa.column('person_id', sa.Integer), sa.column('disabled_at', sa.DateTime))


def upgrade() -> None:
    """Data only: set people.active from the account for everyone who has one."""
    for enabled in (True, False):
        holders = sa.select(accounts.c.person_id).where(
            accounts.c.disabled_at.is_(None) if enabled else accounts.c.disabled_at.is_not(None))
        op.execute(people.update().where(people.c.id.in_(holders)).values(active=enabled))


def downgrade() -> None:
    """Nothing to undo: the old values were the bug."""
