"""The backup archive: a gzipped tar of table files, a git bundle and manifest.json, each member's sha256 in the manifest.

The manifest is signed: manifest.hmac holds the audit key's HMAC of manifest.json's bytes, so
someone who edits a member and writes its new sha256 into the manifest is still found out (they
would need the audit key, kept outside the database and the archive). Reading checks everything
before anyone loads anything: the tar is whole, it holds exactly the members the manifest lists
(no other name, no link, no folder), each member's size and sha256 are the manifest's, and each
table file has the manifest's number of rows; `check_signature` then checks the manifest. Unpacking
writes no more than `Limits` allow (each member, all together, and the free disk space), so a small
archive that inflates to terabytes (a decompression bomb) is refused before it fills the disk.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.audit.keys import AuditKey
from registry.errors import BadArchive

FORMAT = "specreg-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"  # the audit key's HMAC of manifest.json's bytes, in hex
BUNDLE = "repo.bundle"
_MEMBER = re.compile(r"^(?:repo\.bundle|tables/[a-z_][a-z0-9_]{0,62}\.jsonl)$")
KINDS = ("integer", "number", "text", "boolean", "datetime", "bytes", "json")
# The manifest and its signature are read into memory and stay small whatever the database holds.
SMALL_MEMBERS = {MANIFEST: 64 << 20, SIGNATURE: 1 << 10}


SCRATCH = "in the scratch folder (set TMPDIR to a folder with room)"


@dataclass(frozen=True)
class Limits:
    """The most a restore may write, in bytes, all together and for any one thing: the archive's members
    unpacked, the objects of its spec repo's bundle as git inflates them, the spec repo's files checked out."""

    total: int = 64 << 30
    member: int = 32 << 30

    def room(self, whole: object, name: str, size: int, before: int, free: int | None, where: str = SCRATCH) -> None:
        """BadArchive unless `name` may unpack to `size` bytes after `before` bytes of the rest of `whole`,
        with `free` bytes free `where` (None: nothing is written to disk at this size)."""
        self.one(whole, name, size)
        self.more(whole, name, size, before, free, where)

    def one(self, whole: object, name: str, size: int) -> None:
        """BadArchive when `name` alone unpacks to more than one member, object or file may."""
        limit = min(self.member, SMALL_MEMBERS.get(name, self.member))
        if size > limit:
            raise BadArchive(f"{whole}: {name} unpacks to more than {limit} bytes, the most any one member, object "
                             "or file may (--max-member-size); nothing was restored")

    def more(self, whole: object, name: str, size: int, before: int, free: int | None, where: str = SCRATCH) -> None:
        """BadArchive when `size` more bytes after `before` pass the total, or the `free` bytes `where`."""
        if before + size > self.total:
            raise BadArchive(f"{whole} unpacks to more than {self.total} bytes in all (--max-size), reaching "
                             f"{name}; nothing was restored")
        if free is not None and before + size > free:
            raise BadArchive(f"{whole} unpacks to more than the {free} bytes free {where}, reaching {name}; "
                             "nothing was restored")


DEFAULT_LIMITS = Limits()


def table_member(table: str) -> str:
    """The archive member holding a table's rows."""
    return f"tables/{table}.jsonl"


@dataclass(frozen=True)
class Member:
    """One file of the archive, as the manifest records it."""

    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        """{"sha256", "size"}."""
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class TableInfo:
    """A table in the archive: its rows, its columns' portable kinds (in order) and its primary key."""

    rows: int
    columns: dict[str, str]
    primary_key: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """{"rows", "columns": {name: kind}, "primary_key": [...]}."""
        return {"rows": self.rows, "columns": self.columns, "primary_key": list(self.primary_key)}


@dataclass(frozen=True)
class RepoInfo:
    """The spec repo in the bundle: bare or not, the branch HEAD named, every ref with its sha."""

    bare: bool
    head: str | None
    refs: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """{"bare", "head", "refs"}."""
        return {"bare": self.bare, "head": self.head, "refs": self.refs}


@dataclass(frozen=True)
class KeyReference:
    """Which audit key MACs the archive's events, never the key: its fingerprint, where it lived, the key epoch."""

    fingerprint: str | None
    source: str | None
    key_epoch: int | None

    def as_dict(self) -> dict[str, Any]:
        """{"fingerprint", "source", "key_epoch"}."""
        return {"fingerprint": self.fingerprint, "source": self.source, "key_epoch": self.key_epoch}


@dataclass(frozen=True)
class Manifest:
    """What an archive holds and how to check it."""

    schema_revision: str
    created_at: str
    backend: str
    tables: dict[str, TableInfo]
    repo: RepoInfo
    audit_key: KeyReference
    members: dict[str, Member] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The manifest.json document."""
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_revision": self.schema_revision,
                "created_at": self.created_at, "backend": self.backend,
                "tables": {name: t.as_dict() for name, t in self.tables.items()},
                "repo": self.repo.as_dict(), "audit_key": self.audit_key.as_dict(),
                "members": {name: m.as_dict() for name, m in self.members.items()}}


def _digest(path: Path) -> Member:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return Member(h.hexdigest(), path.stat().st_size)


def pack(folder: Path, manifest: Manifest, out: Path, key: AuditKey | None) -> Manifest:
    """Write `folder`'s members (repo.bundle, tables/*.jsonl) and the manifest with their sha256s to `out`,
    the manifest signed with `key` (None: no audit key here, and the archive goes unsigned).

    The archive holds password and token hashes, so it is owner-only (0600), and it gets its name
    only when complete: a failed backup never leaves a half archive under the name asked for.
    """
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    bad = [n for n in names if not _MEMBER.match(n)]
    if bad:
        raise ValueError(f"not archive members: {bad}")
    done = Manifest(**{**manifest.__dict__, "members": {n: _digest(folder / n) for n in names}})
    text = (json.dumps(done.as_dict(), indent=2, ensure_ascii=False) + "\n").encode()
    (folder / MANIFEST).write_bytes(text)
    signed = [SIGNATURE] if key is not None else []
    if key is not None:
        (folder / SIGNATURE).write_text(key.manifest_mac(text) + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.partial")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for name in [MANIFEST, *signed, *names]:
                info = tar.gettarinfo(str(folder / name), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with (folder / name).open("rb") as fh:
                    tar.addfile(info, fh)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return done


EXTENDED_HEADER_BYTES = 64 << 10  # a backup's members have short names: no pax or long-name header is near this


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses a GNU long-name or pax extended header past EXTENDED_HEADER_BYTES:
    tarfile reads such a header's whole body into memory while it iterates, before any member's
    size can be checked (a small archive could name a member with gigabytes)."""

    def _proc_gnulong(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
        self._bounded()
        return super()._proc_gnulong(tar)  # type: ignore[misc]

    def _proc_pax(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
        self._bounded()
        return super()._proc_pax(tar)  # type: ignore[misc]

    def _bounded(self) -> None:
        if self.size > EXTENDED_HEADER_BYTES:
            raise BadArchive(f"the archive has an extended tar header of {self.size} bytes (a backup's are under "
                             f"{EXTENDED_HEADER_BYTES}): not a Specreg backup; nothing was restored")


def unpack(archive: Path, into: Path, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    """Copy the archive's members into `into` and check them all against its manifest; the manifest.

    BadArchive names the first thing wrong: not a readable archive (truncated, not gzip), a member
    that should not be there or is missing, one past the `limits` (by its tar header, before anything
    of it is written, and again by the bytes read), a size or sha256 that differs, a table file whose
    rows are not the manifest's count.
    """
    seen: dict[str, Member] = {}
    written, free = 0, shutil.disk_usage(into).free
    try:
        with tarfile.open(archive, mode="r:gz", tarinfo=_BoundedTarInfo) as tar:
            for info in tar:
                name = info.name
                if name not in (MANIFEST, SIGNATURE) and not _MEMBER.match(name):
                    raise BadArchive(f"{archive} holds {name!r}, which is no part of a Specreg backup")
                if not info.isfile():
                    raise BadArchive(f"{archive}: member {name} is not a plain file")
                if name in seen:
                    raise BadArchive(f"{archive} holds {name} twice")
                limits.room(archive, name, info.size, written, free)
                src = tar.extractfile(info)
                assert src is not None  # a plain file always has contents to read
                dest = into / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                h, size = hashlib.sha256(), 0
                with src, dest.open("wb") as fh:
                    while chunk := src.read(1 << 20):
                        size += len(chunk)
                        limits.room(archive, name, size, written, free)  # whatever the header said
                        h.update(chunk)
                        fh.write(chunk)
                seen[name] = Member(h.hexdigest(), size)
                written += size
    except FileNotFoundError as exc:
        raise BadArchive(f"no backup archive at {archive}") from exc
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BadArchive(f"{archive} is truncated or not a Specreg backup ({exc}); nothing was restored") from exc
    if MANIFEST not in seen:
        raise BadArchive(f"{archive} has no {MANIFEST}: not a Specreg backup")
    manifest = read_manifest(into / MANIFEST)
    del seen[MANIFEST]
    seen.pop(SIGNATURE, None)
    for name in sorted(set(manifest.members) | set(seen)):
        if name not in seen:
            raise BadArchive(f"{archive} is missing {name}, which its manifest lists")
        if name not in manifest.members:
            raise BadArchive(f"{archive} holds {name}, which its manifest does not list")
        want, got = manifest.members[name], seen[name]
        if want != got:
            raise BadArchive(f"{archive}: {name} was changed or cut short after the backup (sha256 {got.sha256}, "
                             f"{got.size} bytes; the manifest says {want.sha256}, {want.size} bytes)")
    for table, described in manifest.tables.items():
        member = table_member(table)
        if member not in seen:
            raise BadArchive(f"{archive} has no rows file for table {table}")
        with (into / member).open("rb") as fh:
            rows = sum(1 for _ in fh)
        if rows != described.rows:
            raise BadArchive(f"{archive}: {member} has {rows} rows, the manifest says {described.rows}")
    if BUNDLE not in seen:
        raise BadArchive(f"{archive} has no {BUNDLE} (the spec repo)")
    return manifest


def check_signature(folder: Path, key: AuditKey | None, archive: Path) -> None:
    """BadArchive unless the unpacked manifest in `folder` carries `key`'s signature; nothing to check without a key.

    With a key here, an unsigned archive is refused too: leaving the signature out must not be a way
    around it. (An archive written where no audit key was set is unsigned and restores only where none
    is set; restore's key check refuses a signed one there, as it names the key that signed it.)
    """
    if key is None:
        return
    path = folder / SIGNATURE
    if not path.is_file():
        raise BadArchive(f"{archive} is not signed ({SIGNATURE} is missing) but an audit key is set here "
                         f"({key.source}): its manifest cannot be trusted; nothing was restored")
    given = path.read_text(errors="replace").strip()
    if not hmac.compare_digest(key.manifest_mac((folder / MANIFEST).read_bytes()), given):
        raise BadArchive(f"{archive}: {MANIFEST} does not carry the audit key's signature ({key.source}): it was "
                         "edited after the backup; nothing was restored")


def read_manifest(path: Path) -> Manifest:
    """Parse and check manifest.json; BadArchive when it is not one this code reads."""
    try:
        doc = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadArchive(f"{MANIFEST} is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BadArchive(f"{MANIFEST} is not a Specreg backup manifest")
    if doc.get("format_version") != FORMAT_VERSION:
        raise BadArchive(f"the archive's format version is {doc.get('format_version')!r}; this Specreg reads "
                         f"version {FORMAT_VERSION} (restore it with the Specreg that wrote it, or a newer one)")
    try:
        tables = {}
        for name, t in doc["tables"].items():
            columns = {str(c): str(k) for c, k in t["columns"].items()}
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) or any(k not in KINDS for k in columns.values()):
                raise ValueError(f"table {name!r}")
            tables[name] = TableInfo(_int(t["rows"]), columns, tuple(str(c) for c in t["primary_key"]))
        repo, key = doc["repo"], doc["audit_key"]
        return Manifest(
            schema_revision=str(doc["schema_revision"]), created_at=str(doc["created_at"]),
            backend=str(doc["backend"]), tables=tables,
            repo=RepoInfo(bool(repo["bare"]), _str_or_none(repo["head"]),
                          {str(r): str(s) for r, s in repo["refs"].items()}),
            audit_key=KeyReference(_str_or_none(key["fingerprint"]), _str_or_none(key["source"]),
                                   None if key["key_epoch"] is None else _int(key["key_epoch"])),
            members={str(n): Member(str(m["sha256"]), _int(m["size"])) for n, m in doc["members"].items()})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadArchive(f"{MANIFEST} is malformed ({type(exc).__name__}: {exc})") from exc


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
