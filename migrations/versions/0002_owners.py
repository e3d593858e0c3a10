"""owners: people, teams, OWNERS.toml versions with entries and memberships, registry assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:47:08.911923
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('owners_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.Column('listed', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['commits.seq'], name=op.f('fk_owners_versions_seq_commits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners_versions'))
    )
    with op.batch_alter_table('owners_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owners_versions_seq'), ['seq'], unique=False)

    op.create_table('owner_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('assign', 'unassign')", name=op.f('ck_owner_assignments_action')),
    sa.CheckConstraint('(person_id IS NULL) <> (team_id IS NULL)', name=op.f('ck_owner_assignments_one_owner')),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_owner_assignments_actor_id_people')),
    sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_owner_assignments_clause_id_clauses')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_owner_assignments_person_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_owner_assignments_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_assignments'))
    )
    with op.batch_alter_table('owner_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_assignments_clause_id'), ['clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_assignments_created_at'), ['created_at'], unique=False)

    op.create_table('owner_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owners', sa.JSON(), nullable=False),
    sa.Column('inherit', sa.Boolean(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['owners_versions.id'], name=op.f('fk_owner_entries_version_id_owners_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_entries'))
    )
    with op.batch_alter_table('owner_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_entries_version_id'), ['version_id'], unique=False)

    op.create_table('team_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_team_memberships_person_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_memberships_team_id_teams')),
    sa.ForeignKeyConstraint(['version_id'], ['owners_versions.id'], name=op.f('fk_team_memberships_version_id_owners_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_memberships'))
    )
    with op.batch_alter_table('team_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_team_memberships_team_version', ['team_id', 'version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_memberships_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('team_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_memberships_version_id'))
        batch_op.drop_index('ix_team_memberships_team_version')

    op.drop_table('team_memberships')
    with op.batch_alter_table('owner_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_entries_version_id'))

    op.drop_table('owner_entries')
    with op.batch_alter_table('owner_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_assignments_created_at'))
        batch_op.drop_index(batch_op.f('ix_owner_assignments_clause_id'))

    op.drop_table('owner_assignments')
    with op.batch_alter_table('owners_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owners_versions_seq'))

    op.drop_table('owners_versions')
    op.drop_table('teams')
    op.drop_table('people')
