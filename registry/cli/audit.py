"""Accountability commands: verify."""
from __future__ import annotations

import argparse

from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add verify."""
    p = sub.add_parser("verify", parents=[common],
                       help="check the audit chain and its anchors in the spec repo's commits")
    p.add_argument("--repo", help="spec repo holding the Audit-Head anchors (default: the ingested one)")
    p.set_defaults(handler=cmd_verify)


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    """Exit 0 when every check holds, 1 with each finding named when not."""
    from registry.verify import verify

    with ctx.session() as session:
        findings = verify(session, args.repo)
    lines = [f"FAIL {f.check}: {f.where}: {f.message}" for f in findings] or ["OK: every check holds"]
    ctx.emit({"ok": not findings, "findings": [f.as_dict() for f in findings]}, "\n".join(lines))
    return 1 if findings else 0
