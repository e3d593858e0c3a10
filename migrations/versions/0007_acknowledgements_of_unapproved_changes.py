"""acknowledgements of unapproved changes (append-only, like the audit trail)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:52:03.552655
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commit_sha', sa.String(length=40), nullable=True),
    sa.Column('rewrite_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(commit_sha IS NULL) <> (rewrite_id IS NULL)', name=op.f('ck_acknowledgements_one_subject')),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_acknowledgements_actor_id_people')),
    sa.ForeignKeyConstraint(['rewrite_id'], ['history_rewrites.id'],
                            name=op.f('fk_acknowledgements_rewrite_id_history_rewrites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgements'))
    )
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgements_commit_sha'), ['commit_sha'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgements_rewrite_id'), ['rewrite_id'], unique=False)
    _append_only()


# An acknowledgement explains a flag, it never withdraws one: the database refuses edits and deletes.
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER acknowledgements_no_update BEFORE UPDATE ON acknowledgements
       BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements
       BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only: DELETE refused'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION acknowledgements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'acknowledgements are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER acknowledgements_no_change BEFORE UPDATE OR DELETE ON acknowledgements
       FOR EACH ROW EXECUTE FUNCTION acknowledgements_append_only()""",
    """CREATE TRIGGER acknowledgements_no_truncate BEFORE TRUNCATE ON acknowledgements
       FOR EACH STATEMENT EXECUTE FUNCTION acknowledgements_append_only()""",
]


def _append_only() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER acknowledgements_no_truncate ON acknowledgements")
        op.execute("DROP TRIGGER acknowledgements_no_change ON acknowledgements")
        op.execute("DROP FUNCTION acknowledgements_append_only()")
    else:
        op.execute("DROP TRIGGER acknowledgements_no_update")
        op.execute("DROP TRIGGER acknowledgements_no_delete")
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgements_rewrite_id'))
        batch_op.drop_index(batch_op.f('ix_acknowledgements_commit_sha'))
    op.drop_table('acknowledgements')
