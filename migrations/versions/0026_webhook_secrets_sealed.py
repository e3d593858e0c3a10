"""webhook secrets sealed under the audit key, no longer kept as given

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:10:00.000000

Each existing secret is sealed for its webhook (registry/webhooks/sealing.py) under the audit key
this process reads (SPECREG_AUDIT_KEY, else the instance folder's audit_key): the same key the web
processes and the worker must use. Without webhooks no key is read. With webhooks and no key, the
upgrade stops (config_error) and changes nothing. This revision imports the sealing code rather
than a copy of it, so that one definition of the sealed form exists. Downgrading opens them again.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.audit.keys import AuditKey, current_key
from registry.errors import ConfigError
from registry.webhooks.sealing import seal, unseal

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

webhooks = sa.table('webhooks', sa.column('id', sa.Integer()), sa.column('secret', sa.String()),
                    sa.column('sealed_secret', sa.Text()))


def _key(conn: sa.Connection) -> AuditKey | None:
    """The audit key, when any webhook has a secret to seal or open (ConfigError when none is here)."""
    if not conn.execute(sa.select(sa.func.count()).select_from(webhooks)).scalar():
        return None
    key = current_key(create=False)
    if key is None:
        raise ConfigError("webhook secrets are now sealed under the audit key, and there is none here: set "
                          "SPECREG_AUDIT_KEY (or the instance folder's audit_key) as the web processes have it, "
                          "then upgrade again")
    return key


def upgrade() -> None:
    """Apply this revision."""
    conn = op.get_bind()
    key = _key(conn)
    op.add_column('webhooks', sa.Column('sealed_secret', sa.Text(), nullable=True))
    if key is not None:
        for id_, secret in conn.execute(sa.select(webhooks.c.id, webhooks.c.secret)).all():
            conn.execute(webhooks.update().where(webhooks.c.id == id_).values(sealed_secret=seal(key, id_, secret)))
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column('sealed_secret', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('secret')


def downgrade() -> None:
    """Undo this revision."""
    conn = op.get_bind()
    key = _key(conn)
    op.add_column('webhooks', sa.Column('secret', sa.String(length=200), nullable=True))
    if key is not None:
        for id_, sealed in conn.execute(sa.select(webhooks.c.id, webhooks.c.sealed_secret)).all():
            conn.execute(webhooks.update().where(webhooks.c.id == id_).values(secret=unseal(key, id_, sealed)))
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column('sealed_secret')
