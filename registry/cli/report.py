"""Evidence export: `specreg report`."""
from __future__ import annotations

import argparse
import sys

from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add report."""
    p = sub.add_parser("report", parents=[common],
                       help="evidence export for a release or a range: HTML (printable), JSON or CSV")
    p.add_argument("--release", metavar="TAG", help="from the previous release's tag (exclusive) to TAG")
    p.add_argument("--from", dest="from_ref", metavar="REF", help="start after this ref (default: the first commit)")
    p.add_argument("--to", dest="to_ref", metavar="REF", help="end at this ref, inclusive (default: the head)")
    # Checked by the handler, not argparse `choices`, so a bad format is a one-line error with exit 1.
    p.add_argument("--format", dest="fmt", metavar="html|json|csv", help="default: html (json with --json)")
    p.add_argument("-o", "--output", metavar="FILE", default="-", help="where to write; - is stdout (default)")
    p.add_argument("--repo", help="spec repo holding the Audit-Head anchors for verify (default: the ingested one)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("coverage", parents=[common],
                       help="which clauses cite evaluation prompts (examples/NAME.md), and which have none; "
                            "with --framework, which clauses answer each item of a framework in frameworks.toml")
    p.add_argument("--at", metavar="REF", help="tag, branch, commit sha or ISO date (default: the head)")
    p.add_argument("--framework", metavar="NAME", help="a framework named in frameworks.toml")
    p.set_defaults(handler=cmd_coverage)


def _write(path: str, text: str) -> None:
    from registry.errors import BadRequest

    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:  # CSV brings its own \r\n
            f.write(text)
    except OSError as exc:
        raise BadRequest(f"cannot write {path}: {exc.strerror or exc}") from exc


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    """Build the report, render it in one format, write it to a file or stdout."""
    from registry.errors import BadRequest
    from registry.evidence.render import check_format, render
    from registry.evidence.report import evidence_report

    fmt = check_format(args.fmt or ("json" if ctx.json else "html"))
    if ctx.json and args.output == "-" and fmt != "json":
        raise BadRequest(f"--json prints only JSON on stdout: use --format json, or -o FILE for {fmt}")
    with ctx.session() as session:
        report = evidence_report(session, args.release, args.from_ref, args.to_ref, args.repo)
    _write(args.output, render(report, fmt))
    if args.output != "-":
        counts = report.counts
        ctx.emit({"output": args.output, "format": fmt, "range": report.range.as_dict(), "counts": counts,
                  "verify_ok": not report.findings},
                 f"wrote the {fmt} evidence report for {report.range.label} to {args.output}: "
                 f"{counts['changes']} clause changes, {counts['unapproved_commits']} unapproved commits, "
                 f"{counts['unowned']} unowned clauses, verify {'OK' if not report.findings else 'FAILED'}")
    return 0


def cmd_coverage(args: argparse.Namespace, ctx: Context) -> int:
    """Clause-to-evaluation coverage at a ref (with --framework: the framework's items and their clauses)."""
    if args.framework is not None:
        return _framework_coverage(args, ctx)
    from registry.history.prompts import prompt_coverage
    from registry.ledger.refs import resolve
    from registry.owners.queries import point_dict

    with ctx.session() as session:
        point = resolve(session, args.at)
        cov = prompt_coverage(session, point)
    lines = [f"{len(cov.covered)} of {len(cov.covered) + len(cov.uncovered)} clauses cite evaluation prompts "
             f"({cov.share:.0%}) @ {point.ref} ({point.sha[:12]})"]
    lines += [f"  {v.id}: {', '.join(p.path for p in ps)}" for v, ps in cov.covered]
    lines += ["without prompts:"] + [f"  {v.id}" for v in cov.uncovered] if cov.uncovered else []
    lines += [f"missing file {p.path} cited by {v.id}" for v, ps in cov.broken for p in ps]
    ctx.emit({"at": point_dict(point), **cov.as_dict()}, "\n".join(lines))
    return 0


def _framework_coverage(args: argparse.Namespace, ctx: Context) -> int:
    """`coverage --framework NAME`: each item and the clauses answering it, the uncovered items, the rest."""
    from registry.frameworks.coverage import framework_coverage
    from registry.ledger.refs import resolve

    with ctx.session() as session:
        cov = framework_coverage(session, args.framework, resolve(session, args.at))
    covered = len(cov.items) - len(cov.uncovered)
    lines = [f"{cov.framework} ({cov.title}): {covered} of {len(cov.items)} items answered by clauses "
             f"@ {cov.at.ref} ({cov.at.sha[:12]})"]
    lines += [f"  {i.id} {i.title}: {', '.join(i.clauses) or '(no clause)'}" for i in cov.items]
    lines += ["uncovered items: " + ", ".join(cov.uncovered)] if cov.uncovered else []
    lines += [f"{len(cov.unmapped_clauses)} clauses answer no item of {cov.framework}"
              + (": " + ", ".join(cov.unmapped_clauses) if cov.unmapped_clauses else "")]
    ctx.emit(cov.as_dict(), "\n".join(lines))
    return 0
