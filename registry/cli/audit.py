"""Accountability commands: verify, reindex, audit anchor, unapproved, acknowledge, in-force."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from registry.cli.acting import add_actor_option
from registry.cli.context import Context

if TYPE_CHECKING:
    from registry.accountability.in_force import InForce
    from registry.accountability.unapproved import AcknowledgementView


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add verify, reindex, audit anchor, unapproved, acknowledge and in-force."""
    p = sub.add_parser("verify", parents=[common],
                       help="check the audit chain, its anchors, approvals and merge commits against git")
    p.add_argument("--repo", help="spec repo holding the Audit-Head anchors (default: the ingested one)")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("reindex", parents=[common],
                       help="rebuild the search index from the clause versions' text (what verify's search check names)")
    p.add_argument("--as", dest="actor", metavar="EMAIL",
                   help="record the rebuild as this account (default: the account of $SPECREG_TOKEN, else the OS user)")
    p.set_defaults(handler=cmd_reindex)

    p = sub.add_parser("audit", parents=[common], help="the audit trail: anchor its head in the spec repo")
    steps = p.add_subparsers(dest="audit_command", metavar="STEP", required=True)
    a = steps.add_parser("anchor", parents=[common],
                         help="record the audit chain's head and its MAC on refs/specreg/audit (run it from cron)")
    a.add_argument("--repo", help="the spec repo to anchor in (default: the ingested one)")
    a.set_defaults(handler=cmd_audit_anchor)

    p = sub.add_parser("unapproved", parents=[common],
                       help="commits that changed clauses or governance files without a merged proposal, "
                            "and history rewrites")
    p.add_argument("--rewrites", action="store_true", help="list the history rewrites instead")
    p.add_argument("--pre-governance", action="store_true",
                   help="also list commits before governance began (policy.toml's [governance] start)")
    p.add_argument("--since", metavar="REF", help="only changes after this tag, commit or date")
    p.add_argument("--until", metavar="REF", help="only changes up to this tag, commit or date")
    p.set_defaults(handler=cmd_unapproved)

    p = sub.add_parser("acknowledge", parents=[common],
                       help="record why an unapproved change (or a rewrite) is accepted; it stays flagged")
    p.add_argument("commit", nargs="?", metavar="COMMIT", help="the unapproved commit's sha (or a prefix)")
    p.add_argument("--rewrite", type=int, metavar="N", help="acknowledge history rewrite N instead")
    p.add_argument("--reason", required=True, help="why it is accepted (kept and audited)")
    add_actor_option(p)
    p.set_defaults(handler=cmd_acknowledge)

    p = sub.add_parser("in-force", parents=[common],
                       help="a clause's text at a moment, its owners then and the proposal behind it")
    p.add_argument("id", help="the clause id (as it was then, or now)")
    p.add_argument("--at", required=True, metavar="DATETIME", help="an ISO date or datetime (or a tag or commit)")
    p.set_defaults(handler=cmd_in_force)


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    """Exit 0 when every check holds, 1 with each finding named when not."""
    from registry.accountability import verify_runs
    from registry.accountability.verify import verify

    with ctx.session() as session:
        # With a remote, this host's clone (fetched first when it lags), and the remote's anchors too, unless --repo
        # names another repo.
        findings = verify(session, args.repo or ctx.own_clone(session), None if args.repo else ctx.settings.remote)
    # The run counts for the worker's schedule, and webhooks hear of new findings (verify itself only
    # reads, so this is a write of its own).
    with ctx.session(write=True) as session:
        verify_runs.record(session, findings)
    lines = [f"FAIL {f.check}: {f.where}: {f.message}" for f in findings] or ["OK: every check holds"]
    ctx.emit({"ok": not findings, "findings": [f.as_dict() for f in findings]}, "\n".join(lines))
    return 1 if findings else 0


def cmd_reindex(args: argparse.Namespace, ctx: Context) -> int:
    """Rebuild the search index and record `search.reindex` with what verify's search check found before it."""
    from registry.cli.acting import acting
    from registry.cli.backup import os_user
    from registry.history.search_check import reindex

    with ctx.session(write=True) as session:
        actor = acting(session, args)
        who = actor.email if actor else f"os:{os_user()}"
        before, rewritten = reindex(session, who)
    lines = [f"Reindexed: {rewritten} row(s) written."]
    lines += [f"repaired {f.check}: {f.where}: {f.message}" for f in before] or ["The index held every version's words."]
    ctx.emit({"rewritten": rewritten, "repaired": [f.as_dict() for f in before]}, "\n".join(lines))
    return 0


def cmd_audit_anchor(args: argparse.Namespace, ctx: Context) -> int:
    """Anchor the committed head: {"written", "ref", "commit", "seq", "hash", "mac", "key_epoch"}."""
    from registry.audit.anchor import ANCHOR_REF, anchor_head
    from registry.models import Ledger

    with ctx.session() as session:
        ledger = session.get(Ledger, 1)
        repo = args.repo or ctx.own_clone(session) or (ledger.repo_path if ledger else None) or str(ctx.settings.repo)
        anchor, written = anchor_head(session, repo, remote=None if args.repo else ctx.settings.remote)
    if anchor is None:
        empty = dict.fromkeys(("commit", "seq", "hash", "mac", "key_epoch"))
        ctx.emit({"written": False, "ref": ANCHOR_REF} | empty, "The audit trail is empty; nothing to anchor.")
        return 0
    what = "anchored" if written else "already anchored"
    ctx.emit({"written": written} | anchor.as_dict(),
             f"{what} event {anchor.seq} on {ANCHOR_REF} in {repo} ({anchor.commit[:12]})")
    return 0


def _acks(acks: list[AcknowledgementView]) -> list[str]:
    return [f"    acknowledged by {a.name} <{a.email}> on {a.at:%Y-%m-%d}: {a.reason}" for a in acks]


def cmd_unapproved(args: argparse.Namespace, ctx: Context) -> int:
    """Unapproved changes (or, with --rewrites, history rewrites), oldest first."""
    from registry.accountability.unapproved import history_rewrites, seq_range, unapproved_changes
    from registry.history.governance import governance_start
    from registry.ledger.refs import iso

    with ctx.session() as session:
        since, until = seq_range(session, args.since, args.until)
        if args.rewrites:
            rewrites = history_rewrites(session, since, until)
            lines = [f"rewrite {r.id}  {iso(r.detected_at)}  {r.old_head[:12]} left the branch; "
                     f"{len(r.set_aside)} commit(s) set aside after {(r.fork or 'the root')[:12]}" for r in rewrites]
            ctx.emit([r.as_dict() for r in rewrites], "\n".join(lines) or "No history rewrites.")
            return 0
        changes = unapproved_changes(session, since, until, args.pre_governance)
        for warning in governance_start(session).warnings:
            ctx.warn(warning)
    lines = []
    for c in changes:
        before = "  (before governance began)" if c.pre_governance else ""
        lines.append(f"{iso(c.date)}  {c.commit[:12]}  {c.author:<18}  {c.subject}{before}")
        if c.clauses:
            lines.append(f"    clauses: {', '.join(c.clauses)}")
        if c.governance_files:
            lines.append(f"    governance files: {', '.join(c.governance_files)}")
        if c.unreadable:
            lines.append(f"    unreadable documents (edits hidden from the ledger): {', '.join(c.unreadable)}")
        lines += _acks(c.acknowledgements)
    ctx.emit([c.as_dict() for c in changes], "\n".join(lines) or "No unapproved changes.")
    return 0


def cmd_acknowledge(args: argparse.Namespace, ctx: Context) -> int:
    """Record an admin's reason next to an unapproved change or a history rewrite."""
    from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite, find_commit
    from registry.cli.acting import acting
    from registry.errors import BadRequest

    if (args.commit is None) == (args.rewrite is None):
        raise BadRequest("name either a COMMIT or --rewrite N")
    with ctx.session(write=True) as session:
        actor = acting(session, args)
        if args.rewrite is not None:
            ack, subject = acknowledge_rewrite(session, actor, args.rewrite, args.reason), {"rewrite": args.rewrite}
        else:
            sha = find_commit(session, args.commit).sha
            ack, subject = acknowledge_commit(session, actor, sha, args.reason), {"commit": sha}
    ctx.emit(subject | {"acknowledgement": ack.as_dict(), "unapproved": True},
             f"Acknowledged {next(iter(subject.values()))} (it stays flagged as unapproved).")
    return 0


def _in_force_text(r: InForce) -> str:
    from registry.ledger.refs import iso

    lines = [f"{r.id} as in force at {iso(r.at)}" + (f" (now {r.current_id})" if r.current_id != r.id else ""),
             f"version: commit {r.commit[:12]} of {iso(r.date)}"]
    if r.proposal is None and r.pre_governance:
        lines.append("before governance began: no merged proposal is behind this text, and none was required yet")
    elif r.proposal is None:
        lines.append("UNAPPROVED CHANGE: no merged proposal is behind this text (a direct commit)")
    else:
        p = r.proposal
        lines.append(f"proposal #{p.id}: {p.title} (proposed by {p.proposer.name})")
        lines += [f"  approved by {a.name} <{a.email}> at {a.time}: {a.meaning}" for a in r.approvers]
        lines += [f"  not counted: {u.name} <{u.email}> at {u.time}: {u.reason}" for u in r.uncounted]
        lines.append("  policy: built-in defaults" if p.policy.defaults
                     else f"  policy: {p.policy.path} at {(p.policy.commit or '')[:12]}")
        lines += [f"  UNAPPROVED GOVERNANCE: counted under {g.path} as commit {g.commit[:12]} wrote it without a "
                  f"merged proposal ({'acknowledged' if g.acknowledged else 'not acknowledged'})"
                  for g in r.unapproved_governance]
    lines.append("owners then: " + (", ".join(f"{o.name} <{o.email}>" for o in r.owners) or "nobody"))
    n = r.next_change
    lines.append(f"next change: {iso(n.date)} in {n.commit[:12]} ({', '.join(n.kinds)})" if n else
                 "next change: none (still in force)")
    return "\n".join(lines + ["", r.text])


def cmd_in_force(args: argparse.Namespace, ctx: Context) -> int:
    """A clause's text in force at a moment, with its owners and approvals then."""
    from registry.accountability.in_force import in_force

    with ctx.session() as session:
        result = in_force(session, args.id, args.at)
    ctx.emit(result.as_dict(), _in_force_text(result))
    return 0
