"""Use case: restore a backup archive into an empty database and a new spec repo folder.

Order matters, so that a bad archive or a wrong target writes nothing: every member's sha256 and
row count is checked, the archive's schema revision must be one this code knows, the audit key
here must be the one that MACed the archive's events (by fingerprint) and signed its manifest
(an edited member with a manifest rewritten to match is refused here), the spec repo folder must be
absent or empty, the bundle's objects must inflate within the limits, and the database must be
empty. Then, in one database transaction: the schema is
migrated to the archive's revision, every table is loaded in dependency order, the row counts are
checked, PostgreSQL's sequences are moved past the restored ids, the schema is upgraded to this
code's head (running any data migration as `specreg init` would), and one `backup.restore` event is
appended to the restored chain (so the chain shows the database was replaced, by whom, from which
archive). The spec repo is made from the bundle beside its place and moved there before the
transaction commits. Unpacking stops at the size limits (each member, all of them, the free disk
space), so a decompression bomb is refused before it fills the scratch folder; the spec repo is held
to the same limits, its bundle's objects before git inflates them and its files before the checkout.

The append-only triggers on audit_events and acknowledgements refuse UPDATE, DELETE and TRUNCATE;
a restore only INSERTs, so they stay in force from the migration that creates them on, and are
never switched off. This use case owns its connection and transaction: the schema's DDL and the
rows must commit together, or not at all.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from registry.accounts.users import actor_for
from registry.audit import events as audit
from registry.audit.keys import AuditKey
from registry.backup import tables
from registry.backup.archive import (
    BUNDLE,
    DEFAULT_LIMITS,
    MANIFEST,
    KeyReference,
    Limits,
    Manifest,
    check_signature,
    table_member,
    unpack,
)
from registry.errors import BadArchive, ConfigError, NotEmpty
from registry.gitsource.bundle import RepoShape, check_out, fetch_bundle, work_tree
from registry.gitsource.packs import bundle_objects
from registry.history.search_index import sync_search_index
from registry.models import Ledger
from registry.schema import (
    check_foreign_keys,
    current_revision,
    head_revision,
    known_revisions,
    sqlite_foreign_keys_off,
    upgrade_to,
)


@dataclass(frozen=True)
class Restored:
    """What a restore wrote: the archive's revision, the schema's now, rows per table, the spec repo and its refs."""

    archive_revision: str
    schema_revision: str
    tables: dict[str, int]
    repo: str
    refs: int

    def as_dict(self) -> dict[str, object]:
        """{"archive_revision", "schema_revision", "tables", "repo", "refs"}."""
        return {"archive_revision": self.archive_revision, "schema_revision": self.schema_revision,
                "tables": self.tables, "repo": self.repo, "refs": self.refs}


def check_key(ref: KeyReference, key: AuditKey | None, instance: Path) -> None:
    """ConfigError unless the audit key here is the one that MACed the archive's events (when any carry a MAC)."""
    if ref.key_epoch is None or ref.fingerprint is None:
        return  # no event carries a MAC, or the backup knew no key to name: verify judges the chain
    where = f"set SPECREG_AUDIT_KEY to it, or copy its key file to {instance / 'audit_key'} (owner-only, chmod 600)"
    if key is None:
        raise ConfigError(f"the archive's audit events carry MACs (from event {ref.key_epoch} on) under the audit key "
                          f"with fingerprint {ref.fingerprint}, which was {ref.source}; no audit key is here: {where}, "
                          "then restore again")
    if key.fingerprint() != ref.fingerprint:
        raise ConfigError(f"the audit key here ({key.source}, fingerprint {key.fingerprint()}) is not the one that "
                          f"MACed the archive's events (fingerprint {ref.fingerprint}, which was {ref.source}): {where}")


def _refuse_filled(conn: Connection, revision: str) -> None:
    """NotEmpty unless the database has no tables, or an empty schema at the archive's revision."""
    current = current_revision(conn)
    names = tables.reflect(conn)
    if current is None and names:
        raise NotEmpty(f"the database has tables but no Specreg schema ({', '.join(t.name for t in names[:5])}); "
                       "restore into a new, empty database")
    if current is not None and current != revision:
        raise NotEmpty(f"the database already has a Specreg schema at revision {current}, the archive's is "
                       f"{revision}; restore into a new, empty database")
    filled = tables.filled(conn)
    if filled:
        raise NotEmpty(f"the database is not empty: {', '.join(filled[:5])}"
                       + (f" and {len(filled) - 5} more table(s)" if len(filled) > 5 else "")
                       + "; restore into a new, empty database")


def _refuse_repo(repo: Path) -> None:
    if repo.exists() and (not repo.is_dir() or any(repo.iterdir())):
        raise NotEmpty(f"the spec repo folder {repo} is not empty; restore into a new folder (SPECREG_REPO or --repo)")


def _load(conn: Connection, manifest: Manifest, folder: Path) -> dict[str, int]:
    """Every table's rows from the archive, parents first; the counts, checked against the manifest."""
    found = tables.reflect(conn)
    here, there = {t.name for t in found}, set(manifest.tables)
    if here != there:
        raise BadArchive(f"the archive's tables are not the schema's at revision {manifest.schema_revision}: "
                         f"only in the archive {sorted(there - here)}, only in the schema {sorted(here - there)}")
    counts = {}
    for table in found:
        info = manifest.tables[table.name]
        tables.check_columns(table, info, manifest.schema_revision)
        tables.load(conn, table, folder / table_member(table.name), info)
        counts[table.name] = tables.count(conn, table)
        if counts[table.name] != info.rows:
            raise BadArchive(f"table {table.name}: {counts[table.name]} rows loaded, the manifest says {info.rows}")
        tables.reset_sequences(conn, table)
    check_foreign_keys(conn)  # SQLite loads with enforcement off (as migrations run); PostgreSQL checked each row
    return counts


def _record_restore(session: Session, archive: Path, scratch: Path, manifest: Manifest, actor: str | None,
                    os_user: str) -> None:
    """Append `backup.restore`: who (`actor`, an account in the archive, else the OS user) restored which archive."""
    who = actor_for(session, actor).email if actor else f"os:{os_user}"
    detail = {"archive": archive.name, "manifest_sha256": hashlib.sha256((scratch / MANIFEST).read_bytes()).hexdigest(),
              "created_at": manifest.created_at, "schema_revision": manifest.schema_revision}
    audit.record(session, who, "backup.restore", "database", None, detail)


def restore(engine: Engine, archive: Path, repo: Path, key: AuditKey | None, instance: Path,
            actor: str | None = None, os_user: str = "unknown", limits: Limits = DEFAULT_LIMITS) -> Restored:
    """Restore `archive` into the (empty) database behind `engine` and a new spec repo at `repo`.

    `actor`: the email of the account in the archive that restores (`--as`), else `os_user` is named;
    `limits`: the most its members may unpack to (archive.Limits)."""
    repo = repo.expanduser().resolve()
    with tempfile.TemporaryDirectory(prefix=".specreg-restore-") as scratch_name:
        scratch = Path(scratch_name)
        manifest = unpack(archive, scratch, limits)
        if manifest.schema_revision not in known_revisions():
            raise BadArchive(f"the archive's schema revision {manifest.schema_revision} is newer than this Specreg "
                             f"(its newest is {head_revision()}); restore it with the Specreg that wrote it, or a "
                             "newer one")
        check_key(manifest.audit_key, key, instance)
        check_signature(scratch, key, archive)  # the right key (named above), and the manifest it signed
        _refuse_repo(repo)
        _check_objects(archive, scratch / BUNDLE, limits)  # before the database is touched: a file read, no git
        with engine.connect() as conn:
            _refuse_filled(conn, manifest.schema_revision)
            conn.rollback()
            placed = False
            try:
                with sqlite_foreign_keys_off(conn), conn.begin():
                    if current_revision(conn) is None:
                        upgrade_to(conn, manifest.schema_revision)
                    counts = _load(conn, manifest, scratch)
                    if manifest.schema_revision != head_revision():
                        upgrade_to(conn, "head")
                    session = Session(bind=conn)
                    sync_search_index(session)
                    session.execute(update(Ledger).values(repo_path=str(repo)))
                    _record_restore(session, archive, scratch, manifest, actor, os_user)
                    session.flush()
                    revision = current_revision(conn) or head_revision()
                    refs = _place_repo(archive, scratch / BUNDLE, repo, manifest, limits)
                    placed = True
            except BaseException:
                if placed:  # the database did not commit: the spec repo goes too
                    shutil.rmtree(repo, ignore_errors=True)
                raise
    return Restored(manifest.schema_revision, revision, counts, str(repo), refs)


BLOCK = 4096  # what a file or folder takes on disk at least (a block), however small: a million empty files are not free


def _check_objects(archive: Path, bundle: Path, limits: Limits) -> None:
    """BadArchive unless every object of the bundle inflates within the limits, as git inflates each in
    memory when it fetches (on disk the fetch keeps the bundle's pack as it is)."""
    inflated = 0
    for n, obj in enumerate(bundle_objects(bundle), 1):
        limits.room(f"{archive}'s {BUNDLE}", f"object {n} (a {obj.kind})", obj.size, inflated, None)
        inflated += obj.size


def _check_work_tree(archive: Path, staging: Path, limits: Limits, room: Path) -> None:
    """BadArchive unless the spec repo's files, checked out as stored, fit the total and the free space at `room`.

    Each file is a blob `_check_objects` judged already; but a tree may name one blob, or one folder,
    many times over, so the work tree can be far larger than the objects."""
    whole, taken, free = f"{archive}'s spec repo work tree", 0, shutil.disk_usage(room).free
    for entry in work_tree(staging):
        name = f"{'file' if entry.size is not None else 'folder'} {entry.path}"
        disk = max(BLOCK, -(-(entry.size or 0) // BLOCK) * BLOCK)  # whole blocks, one at least
        limits.more(whole, name, disk, taken, free, f"in {room}")
        taken += disk


def _place_repo(archive: Path, bundle: Path, repo: Path, manifest: Manifest, limits: Limits) -> int:
    """Make the spec repo from the bundle beside `repo`, check its refs are the manifest's and its size the
    limits', move it into place.

    Git sees the bundle only after `restore` judged its objects (`_check_objects`), and the work tree is
    written only once its files are (`_check_work_tree`); on a refusal the staging folder goes, with all it holds."""
    repo.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{repo.name}.restoring-", dir=repo.parent))
    try:
        refs = fetch_bundle(bundle, staging / "repo", RepoShape(manifest.repo.bare, manifest.repo.head))
        if refs != manifest.repo.refs:
            missing = sorted(set(manifest.repo.refs) - set(refs))
            raise BadArchive(f"the bundle's refs are not the manifest's (missing {missing[:5]}, or moved)")
        _check_work_tree(archive, staging / "repo", limits, repo.parent)
        check_out(staging / "repo")
        if repo.exists():
            repo.rmdir()  # _refuse_repo made sure it is an empty folder
        os.replace(staging / "repo", repo)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(refs)
