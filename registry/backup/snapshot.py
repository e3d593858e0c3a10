"""Use case: write a backup archive of the database and the spec repo, taken at one consistent moment.

Git and the database must agree in the archive, so no ingest or merge may run while it is taken
(their locks, as they take them: "merge", then "ingest"), and the tables are read in one
transaction that sees one snapshot (REPEATABLE READ on PostgreSQL; on SQLite, BEGIN IMMEDIATE
holds the only write lock and its reads see one snapshot). The spec repo is bundled first, the
tables read after: `specreg audit anchor`, which runs without those locks, can only anchor events
already committed, so every anchor in the bundle names an event in the tables.

This use case owns its connection and transaction, unlike the others: the lock, the bundle and
the snapshot's first read must come in that order on one connection.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from registry.audit.keys import AuditKey
from registry.backup import tables
from registry.backup.archive import BUNDLE, KeyReference, Manifest, RepoInfo, pack, table_member
from registry.errors import SchemaError
from registry.gitsource.bundle import create_bundle, shape
from registry.models import AuditEvent, utcnow
from registry.schema import current_revision, require_current
from registry.transaction.locks import writers_held


def write_backup(engine: Engine, repo: Path, out: Path, key: AuditKey | None,
                 warn: Callable[[str], None] = lambda _: None) -> Manifest:
    """Write the archive to `out` (the database's every table, a bundle of `repo`, the audit key's reference)."""
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix=".specreg-backup-", dir=out.parent if out.parent.is_dir() else None) \
            as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "tables").mkdir()
        with engine.connect() as conn, writers_held(conn, "merge", "ingest"):
            quiet = conn.execution_options(isolation_level="REPEATABLE READ") \
                if conn.dialect.name == "postgresql" else conn.execution_options(sqlite_immediate=True)
            with quiet.begin():
                # No statement has run in this transaction yet: the snapshot begins at the first read below.
                refs = create_bundle(repo, scratch / BUNDLE)
                how = shape(repo)
                require_current(quiet)
                revision = current_revision(quiet)
                if revision is None:  # require_current refused that already; this tells mypy
                    raise SchemaError("the database has no Specreg schema")
                described = {}
                for table in tables.reflect(quiet):
                    described[table.name] = tables.describe(
                        table, tables.dump(quiet, table, scratch / table_member(table.name)))
                epoch = quiet.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.mac.is_not(None)))
                newest = quiet.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.mac)
                                       .where(AuditEvent.mac.is_not(None))
                                       .order_by(AuditEvent.seq.desc()).limit(1)).first()
        if newest is not None and key is None:
            warn("the audit events carry MACs but no audit key is configured here: the archive cannot name the key "
                 "a restore needs")
        elif newest is not None and key is not None and not key.matches(newest.seq, newest.hash, newest.mac):
            warn(f"the audit key here ({key.source}) did not MAC event {newest.seq}: the archive names a key that "
                 "does not verify this chain")
        manifest = Manifest(
            schema_revision=revision, created_at=utcnow().isoformat(), backend=engine.dialect.name,
            tables=described, repo=RepoInfo(how.bare, how.head, refs),
            audit_key=KeyReference(key.fingerprint() if key else None, key.source if key else None, epoch))
        return pack(scratch, manifest, out, key)
