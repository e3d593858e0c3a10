"""Backup commands: backup, restore."""
from __future__ import annotations

import argparse
import getpass
import os
import re
from pathlib import Path

from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add backup and restore."""
    p = sub.add_parser("backup", parents=[common],
                       help="write one archive: every table, a git bundle of the spec repo, the audit key's reference")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE", help="the archive to write")
    p.add_argument("--repo", type=Path, help="the spec repo to bundle (default: with SPECREG_REMOTE this host's "
                                              "clone, else the one the database tracks)")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", parents=[common],
                       help="restore an archive into an empty database and a new spec repo folder, then verify")
    p.add_argument("archive", type=Path, metavar="FILE")
    p.add_argument("--repo", type=Path, help="where to make the spec repo (default: SPECREG_REPO)")
    p.add_argument("--as", dest="actor", metavar="EMAIL",
                   help="the account in the archive that restores, named in the backup.restore audit event "
                        "(default: the OS user)")
    p.add_argument("--max-size", type=size, metavar="SIZE", default=None,
                   help="refuse an archive whose members unpack to more than this in all (bytes, or with K, M, G, T; "
                        "default 64G)")
    p.add_argument("--max-member-size", type=size, metavar="SIZE", default=None,
                   help="refuse an archive with a member that unpacks to more than this (default 32G)")
    p.set_defaults(handler=cmd_restore)


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size(text: str) -> int:
    """A size in bytes from `123`, `512K`, `2G` (binary units) for argparse."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)B?\s*", text.upper())
    if m is None or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: a positive number of bytes, or with K, M, G or T")
    return int(m.group(1)) * _UNITS[m.group(2)]


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    """Write the archive; JSON: the manifest's summary."""
    from registry.audit.keys import load_key
    from registry.backup.snapshot import write_backup
    from registry.models import Ledger

    with ctx.session() as session:
        ledger = session.get(Ledger, 1)
        own = None if args.repo else ctx.own_clone(session)  # with a remote: this host's clone, not the last ingester's
        repo = args.repo or (Path(own) if own else Path(ledger.repo_path) if ledger else ctx.settings.repo)
    key = load_key(ctx.settings.audit_key, ctx.settings.instance, create=False)
    manifest = write_backup(ctx.engine, repo, args.output, key, warn=ctx.warn)
    rows = sum(t.rows for t in manifest.tables.values())
    ctx.emit({"archive": str(args.output.resolve()), "size": args.output.stat().st_size,
              "schema_revision": manifest.schema_revision, "created_at": manifest.created_at,
              "tables": {name: t.rows for name, t in manifest.tables.items()}, "refs": len(manifest.repo.refs),
              "audit_key": manifest.audit_key.as_dict()},
             f"Wrote {args.output}: {len(manifest.tables)} tables, {rows} rows, the spec repo ({len(manifest.repo.refs)} "
             f"refs) at schema revision {manifest.schema_revision}.")
    return 0


def os_user() -> str:
    """The OS user running the command, for audit events no account acts in."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container): the uid still says who
        return f"uid {os.getuid()}"


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    """Restore, then run verify on the result: exit 0 only when every check holds."""
    from registry.accountability.verify import verify
    from registry.audit.keys import load_key
    from registry.backup.archive import DEFAULT_LIMITS, Limits
    from registry.backup.restore import restore

    key = load_key(ctx.settings.audit_key, ctx.settings.instance, create=False)
    limits = Limits(args.max_size or DEFAULT_LIMITS.total, args.max_member_size or DEFAULT_LIMITS.member)
    restored = restore(ctx.engine.execution_options(sqlite_immediate=True), args.archive,
                       args.repo or ctx.settings.repo, key, ctx.settings.instance, args.actor, os_user(), limits)
    with ctx.session() as session:
        findings = verify(session)
    lines = [f"Restored {args.archive} (schema revision {restored.archive_revision}, now {restored.schema_revision}): "
             f"{len(restored.tables)} tables, {sum(restored.tables.values())} rows; the spec repo at {restored.repo} "
             f"({restored.refs} refs)."]
    lines += [f"FAIL {f.check}: {f.where}: {f.message}" for f in findings] or ["verify: OK, every check holds"]
    ctx.emit(restored.as_dict() | {"verify": {"ok": not findings, "findings": [f.as_dict() for f in findings]}},
             "\n".join(lines))
    return 1 if findings else 0
