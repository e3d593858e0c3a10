"""Ledger commands: init, ingest, sync, runs, clauses, history, show, diff."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from registry.cli.context import Context

if TYPE_CHECKING:
    from registry.config import Settings
    from registry.history.diffs import ClauseDiff
    from registry.ledger.ingest import IngestReport
    from registry.ledger.options import IngestOptions
    from registry.ledger.standby import Plan


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ledger commands."""
    p = sub.add_parser("init", parents=[common], help="create or upgrade the database schema")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("ingest", parents=[common], help="read new commits of the spec repo")
    p.add_argument("--repo", type=Path, help="spec repo path (default: SPECREG_REPO or the demo repo)")
    p.add_argument("--branch", help="branch to read, first-parent (default: SPECREG_BRANCH, else the branch "
                   "the database tracks, else the repo's checked-out branch)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="spec document glob, repeatable (default: specreg.toml or every *.md)")
    p.add_argument("--similarity", type=float, default=None,
                   help="body similarity (0-1) at which a vanished id and a new id are one renamed clause")
    p.set_defaults(handler=cmd_ingest, reader_plan=ingest_plan)

    p = sub.add_parser("sync", parents=[common], help="fetch the spec repo's remote (SPECREG_REMOTE) and ingest it")
    p.add_argument("--new-remote", action="store_true",
                   help="SPECREG_REMOTE now names another repository on purpose: fetch and ingest it (audited)")
    p.add_argument("--branch", help="branch to read (default: SPECREG_BRANCH, else the branch the database "
                   "tracks, else the remote's default branch)")
    p.set_defaults(handler=cmd_sync)

    p = sub.add_parser("runs", parents=[common], help="the latest ingest runs and how each ended (marks dead ones)")
    p.add_argument("--limit", type=int, default=20, help="how many runs, newest first (default 20)")
    p.set_defaults(handler=cmd_runs)

    p = sub.add_parser("clauses", parents=[common], help="list clauses (now or at a ref)")
    p.add_argument("--at", metavar="REF", help="tag, branch, commit sha or ISO date")
    p.set_defaults(handler=cmd_clauses)

    p = sub.add_parser("history", parents=[common], help="every version of a clause, oldest first")
    p.add_argument("id")
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser("show", parents=[common], help="a clause's text (now or at a ref)")
    p.add_argument("id")
    p.add_argument("--at", metavar="REF")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("diff", parents=[common], help="word-level diff of a clause between two refs")
    p.add_argument("id")
    p.add_argument("from_ref", metavar="FROM")
    p.add_argument("to_ref", metavar="TO")
    p.set_defaults(handler=cmd_diff)


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    """Create or upgrade the schema (idempotent)."""
    from registry.schema import upgrade

    before, after = upgrade(ctx.engine)
    state = "created" if before is None else ("upgraded" if before != after else "already current")
    ctx.emit({"revision": after, "previous": before, "state": state},
             f"Database schema {state} (revision {after}).")
    return 0


def _options(args: argparse.Namespace, settings: Settings) -> IngestOptions:
    """The ingest options the arguments and settings give."""
    from registry.ledger.options import IngestOptions

    options = IngestOptions(branch=args.branch or settings.branch, includes=tuple(args.include))
    if args.similarity is not None:
        if not 0 < args.similarity <= 1:
            from registry.errors import BadRequest

            raise BadRequest("--similarity must be between 0 and 1")
        options = IngestOptions(options.branch, options.includes, args.similarity)
    return options


def _remembered_head(settings: Settings) -> Path:
    """Where the last ingest's head is kept for the next command's reader (see ledger.standby)."""
    return settings.instance / "ingest-head.json"


def ingest_plan(args: argparse.Namespace) -> Plan | None:
    """What `specreg ingest` will read, as far as it is known before the database (None: not known)."""
    from registry.config import load_settings
    from registry.errors import SpecregError
    from registry.ledger.standby import Plan

    try:
        settings = load_settings()
        return Plan(Path(args.repo or settings.repo), _options(args, settings), _remembered_head(settings))
    except SpecregError:
        return None  # the command itself reports it


def cmd_ingest(args: argparse.Namespace, ctx: Context) -> int:
    """Ingest new commits of the branch, committing after each batch."""
    from registry.cli.progress import ProgressBar
    from registry.gitsource import SpecSource
    from registry.history.search_index import BackgroundFiller
    from registry.ledger import standby
    from registry.ledger.ingest import ingest

    repo = args.repo or ctx.settings.repo
    options = _options(args, ctx.settings)
    bar = ProgressBar("ingest", enabled=not ctx.json)
    # PostgreSQL: the search vectors of each committed batch are parsed while the next one is applied.
    with SpecSource(repo) as source, BackgroundFiller(ctx.engine) as filler, ctx.session(write=True) as session:
        filler.serve(session)
        report = ingest(session, source, options, progress=bar, checkpoint=lambda: filler.checkpoint(session))
    bar.finish()
    if report.head and report.branch:
        standby.remember(_remembered_head(ctx.settings), Path(repo), report.branch, report.head)
    ctx.emit(report.as_dict(), "\n".join(_ingested(report)))
    return 0


def _ingested(report: IngestReport) -> list[str]:
    """An ingest report for the terminal: what was read, runs marked abandoned, the warnings."""
    lines = [f"Ingested {report.commits} commit(s), {report.versions} clause version(s); "
             f"head {report.head[:12] if report.head else '-'}"
             + (" (history rewrite recorded)" if report.rewritten else "")]
    if report.abandoned_runs:
        lines.append(f"marked abandoned (their process is gone): run(s) {', '.join(map(str, report.abandoned_runs))}")
    for w in report.warnings:
        where = f"{w.path}:{w.line}" if w.line else w.path
        lines.append(f"warning: {(w.commit or '')[:12]} {where}: {w.message}")
    return lines


def cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    """Fetch the remote into Specreg's clone and ingest the fetched branch, committing after each batch."""
    from registry.cli.progress import ProgressBar
    from registry.errors import ConfigError
    from registry.gitsource.remote import redact
    from registry.ledger.options import IngestOptions
    from registry.ledger.sync import sync

    remote = ctx.settings.remote
    if remote is None:
        raise ConfigError("specreg sync needs SPECREG_REMOTE (the spec repo's git URL); "
                          "with a local SPECREG_REPO, use specreg ingest")
    bar = ProgressBar("sync", enabled=not ctx.json)
    with ctx.session(write=True) as session:
        done = sync(session, ctx.settings.repo, remote, IngestOptions(branch=args.branch or ctx.settings.branch),
                    progress=bar, checkpoint=session.commit, new_remote=args.new_remote)
    bar.finish()
    ctx.emit(done.as_dict(), "\n".join([f"Fetched {done.fetched[:12]} from {redact(remote)}", *_ingested(done.ingest)]))
    return 0


def cmd_runs(args: argparse.Namespace, ctx: Context) -> int:
    """The latest ingest runs; a "running" one whose process is gone is marked abandoned first."""
    from registry.ledger.runs import check_runs

    if args.limit < 1:
        from registry.errors import BadRequest

        raise BadRequest("--limit must be at least 1")
    with ctx.session(write=True) as session:
        runs = check_runs(session, args.limit)
    lines = [f"#{r.id:<5} {r.status:<9} {r.started_at:%Y-%m-%d %H:%M:%S}  {r.commits:>6} commit(s) "
             f"{r.versions:>7} version(s)  {(r.head_after or '-')[:12]:<12}  "
             f"{f'pid {r.pid} on {r.host}' if r.pid else ''}".rstrip() for r in runs]
    ctx.emit([r.as_dict() for r in runs], "\n".join(lines) or "(no ingest runs yet)")
    return 0


def cmd_clauses(args: argparse.Namespace, ctx: Context) -> int:
    """List the clauses in force at a ref."""
    from registry.history.queries import list_clauses
    from registry.ledger.refs import resolve

    with ctx.session() as session:
        views = list_clauses(session, resolve(session, args.at))
    lines: list[str] = []
    doc: str | None = None
    depth: dict[str | None, int] = {}  # a clause's nesting; a top-level clause's parent is None
    for v in views:
        if v.document != doc:
            doc = v.document
            lines.append(f"{doc}")
        depth[v.id] = depth.get(v.parent, 0) + 1
        lines.append(f"{'  ' * depth[v.id]}{v.id}  {v.title}".rstrip())
    ctx.emit([v.summary() for v in views], "\n".join(lines) or "(no clauses)")
    return 0


def cmd_history(args: argparse.Namespace, ctx: Context) -> int:
    """Every version of a clause, oldest first."""
    from registry.accountability.governed import governed_history
    from registry.ledger.refs import iso

    with ctx.session() as session:
        governed = governed_history(session, args.id)
    lines = [f"{iso(e.date)}  {e.commit[:12]}  {e.author:<18}  {','.join(e.changes):<24}  "
             f"{e.id}{' (was ' + e.previous_id + ')' if e.previous_id else ''}  {e.title}"
             + (f"  [{g.governance.line}]" if g.governance.proposal else "")
             for g in governed for e in [g.entry]]
    ctx.emit([g.as_dict() for g in governed], "\n".join(lines))
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    """A clause's text at a ref."""
    from registry.history.queries import show_clause
    from registry.ledger.refs import resolve

    with ctx.session() as session:
        view = show_clause(session, args.id, resolve(session, args.at))
    attrs = " ".join(f"{k}={v}" for k, v in view.attributes.items())
    text = (f"{view.id}: {view.title}\n"
            f"document: {view.document}   parent: {view.parent or '-'}   {attrs}\n"
            f"commit: {view.commit}\n\n{view.text}")
    ctx.emit(view.detail(), text)
    return 0


def cmd_diff(args: argparse.Namespace, ctx: Context) -> int:
    """A word-level diff of one clause between two refs."""
    from registry.history.diffs import clause_diff
    from registry.ledger.refs import resolve

    with ctx.session() as session:
        d = clause_diff(session, args.id, resolve(session, args.from_ref), resolve(session, args.to_ref))
    ctx.emit(d.as_dict(), _diff_text(d, args.from_ref, args.to_ref, sys.stdout.isatty()))
    return 0


def _diff_text(d: ClauseDiff, from_ref: str, to_ref: str, color: bool) -> str:
    """The diff for a terminal: header, title/attribute/document changes, then the word diff."""
    from registry.spec.worddiff import as_text

    red, green, reset = ("\033[31m", "\033[32m", "\033[0m") if color else ("", "", "")
    old, new = d.old, d.new
    lines = [f"--- {d.id} @ {from_ref} ({old.commit[:12] if old else 'absent'})",
             f"+++ {d.id} @ {to_ref} ({new.commit[:12] if new else 'absent'})"]
    if old and new and old.title != new.title:
        lines.append(f"title: {red}[-{old.title}-]{reset} {green}{{+{new.title}+}}{reset}")
    if old and new and old.attributes != new.attributes:
        lines.append(f"attributes: {old.attributes} -> {new.attributes}")
    if old and new and old.document != new.document:
        lines.append(f"document: {old.document} -> {new.document}")
    lines.append("")
    lines.append(as_text(d.ops, (f"{red}[-", f"-]{reset}"), (f"{green}{{+", f"+}}{reset}")))
    return "\n".join(lines)
