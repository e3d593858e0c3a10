"""policy.toml's [governance] start per policy version; governance-file changes ingested before 0014

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 04:10:00.000000

Each policy.toml version's [governance] start is read from its text. Commits ingested before
revision 0014 have no governance_file_versions rows, so a direct OWNERS.toml or policy.toml change
among them would not be an unapproved change: they are filled in from the OWNERS.toml and
policy.toml versions those ingests recorded. A policy.toml version gets the sha256 of its text
(null when it was deleted or could not be read); an OWNERS.toml version's content was never
stored, so its digest stays null (the digest only identifies the merge of a governance-file
proposal, and none existed before 0014). specreg.toml changes before 0014 stay unknown.
"""
from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('governance_start', sa.String(length=255), nullable=True))
    conn = op.get_bind()
    for row_id, text in conn.execute(sa.text("SELECT id, text FROM policy_versions WHERE status = 'valid'")).all():
        start = _start(text)
        if start is not None:
            conn.execute(sa.text("UPDATE policy_versions SET governance_start = :s WHERE id = :i"),
                         {"s": start, "i": row_id})
    _fill_in_governance_file_versions(conn)


def _start(text: str) -> str | None:
    """[governance] start when it is a ref-like string (what the parser of this revision accepts)."""
    try:
        table = tomllib.loads(text.lstrip("\ufeff")).get("governance")
    except tomllib.TOMLDecodeError:
        return None
    start = table.get("start") if isinstance(table, dict) else None
    if (not isinstance(start, str) or not start.strip() or len(start) > 255
            or any(c.isspace() or ord(c) < 32 for c in start)):
        return None
    return start


def _fill_in_governance_file_versions(conn: sa.Connection) -> None:
    """OWNERS.toml and policy.toml versions with no governance_file_versions row at their commit."""
    missing = ("NOT EXISTS (SELECT 1 FROM governance_file_versions g WHERE g.seq = v.seq AND g.path = {path})")
    owners = conn.execute(sa.text(
        "SELECT v.seq, v.path, v.abandoned FROM owners_versions v WHERE " + missing.format(path="v.path")
        + " ORDER BY v.id")).all()
    policies = conn.execute(sa.text(
        "SELECT v.seq, v.status, v.text, v.abandoned FROM policy_versions v WHERE "
        + missing.format(path="'policy.toml'") + " ORDER BY v.id")).all()
    rows = [{"seq": seq, "path": path, "digest": None, "abandoned": abandoned} for seq, path, abandoned in owners]
    rows += [{"seq": seq, "path": "policy.toml", "abandoned": abandoned,
              "digest": hashlib.sha256(text.encode("utf-8")).hexdigest() if status != "deleted" and text else None}
             for seq, status, text, abandoned in policies]
    if rows:
        conn.execute(sa.text("INSERT INTO governance_file_versions (seq, path, digest, abandoned) "
                             "VALUES (:seq, :path, :digest, :abandoned)"), rows)


def downgrade() -> None:
    """Undo this revision (the filled-in governance_file_versions rows stay: they are true)."""
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('governance_start')
