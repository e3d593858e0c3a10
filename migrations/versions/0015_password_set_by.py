"""accounts remember who set their password when it was not the holder (separation of duties)

An approval by someone whose password another person set does not count until they set their own
(registry/proposals/policy.py). Existing accounts are filled in from the audit trail: the last
`user.create` (with a password) or `user.password` event of each account says who set it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

people = sa.table('people', sa.column('id', sa.Integer), sa.column('email', sa.String))
accounts = sa.table('accounts', sa.column('person_id', sa.Integer), sa.column('password_set_by_id', sa.Integer))
events = sa.table('audit_events', sa.column('seq', sa.Integer), sa.column('actor', sa.String),
                  sa.column('action', sa.String), sa.column('subject', sa.Text), sa.column('new', sa.JSON))


def upgrade() -> None:
    """Add accounts.password_set_by_id and fill it in from the audit trail."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_set_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_accounts_password_set_by_id_people'), 'people',
                                    ['password_set_by_id'], ['id'])
    conn = op.get_bind()
    ids = {email: pid for pid, email in conn.execute(sa.select(people.c.id, people.c.email))}
    set_by: dict[str, str | None] = {}
    rows = conn.execute(sa.select(events.c.actor, events.c.action, events.c.subject, events.c.new)
                        .where(events.c.action.in_(('user.create', 'user.password'))).order_by(events.c.seq))
    for actor, action, subject, new in rows:
        email = subject.removeprefix('user:')
        if action == 'user.create' and not (new or {}).get('password'):
            set_by[email] = None
        else:
            set_by[email] = None if actor == email else actor
    for email, actor in set_by.items():
        if actor is not None and email in ids and actor in ids:
            conn.execute(accounts.update().where(accounts.c.person_id == ids[email])
                         .values(password_set_by_id=ids[actor]))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_accounts_password_set_by_id_people'), type_='foreignkey')
        batch_op.drop_column('password_set_by_id')
