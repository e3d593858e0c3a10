"""Proposal commands: propose, revise, submit, comment, review, check, dismiss, withdraw, reject, merge,
proposal, proposals, queue."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from registry.cli.acting import acting, add_actor_option, required
from registry.cli.context import Context

if TYPE_CHECKING:
    from registry.proposals.authoring import ChangeInput


def _parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str, text: str,
            handler: object, number: bool = True) -> argparse.ArgumentParser:
    p = sub.add_parser(name, parents=[common], help=text)
    if number:
        p.add_argument("number", type=int, metavar="N", help="the proposal's number")
    add_actor_option(p)
    p.set_defaults(handler=handler)
    return p


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the proposal commands."""
    from registry.models import STATES  # only building these parsers needs the models (--state choices)

    p = _parser(sub, common, "propose", "propose a change to a clause (adding or removing one), or a new "
                "governance file (--path)", cmd_propose, number=False)
    p.add_argument("id", nargs="?", help="the clause id (a new id to add a clause)")
    p.add_argument("--path", metavar="FILE",
                   help="replace a governance file instead: OWNERS.toml, policy.toml, specreg.toml or frameworks.toml "
                        "(its new content with --file)")
    p.add_argument("--file", type=Path, help="the clause's full Markdown: heading line with {#id ...}, then body "
                   "(with --path: the governance file's new content)")
    p.add_argument("--title", required=True)
    p.add_argument("--rationale", required=True)
    p.add_argument("--remove", action="store_true", help="propose removing the clause")
    p.add_argument("--after", metavar="ID", help="add the new clause after this clause and its children")
    p.add_argument("--document", metavar="PATH", help="add the new clause at the end of this document")
    p.add_argument("--draft", action="store_true", help="keep it a draft until `specreg submit`")

    p = _parser(sub, common, "revise", "a new revision (earlier approvals become stale)", cmd_revise)
    p.add_argument("--file", type=Path, help="new Markdown for the clause (--clause, or the only one)")
    p.add_argument("--clause", metavar="ID", help="which clause the file is for (adds it when new)")
    p.add_argument("--drop", metavar="ID", action="append", default=[], help="take a clause out")
    p.add_argument("--note", default="", help="what changed in this revision")
    p.add_argument("--revision", type=int, metavar="M",
                   help="the revision you started from; refused (exit 1, stale_revision) when it is no longer current")

    _parser(sub, common, "submit", "open a draft for review", cmd_submit)
    p = _parser(sub, common, "comment", "comment on a proposal", cmd_comment)
    p.add_argument("text")

    p = _parser(sub, common, "review", "approve, request changes, or withdraw your request", cmd_review)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--approve", action="store_const", dest="kind", const="approve")
    kind.add_argument("--request-changes", action="store_const", dest="kind", const="request_changes")
    kind.add_argument("--withdraw-veto", action="store_const", dest="kind", const="withdraw_veto")
    p.add_argument("--comment", default="")
    p.add_argument("--revision", type=int, metavar="N",
                   help="the revision you read; refused (exit 1, stale_revision) when it is no longer current")

    p = _parser(sub, common, "check", "report a check (an evaluation run, a CI job) on a proposal's revision",
                cmd_check)
    p.add_argument("name", metavar="NAME", help="the check's name, as policy.toml's required_checks name it")
    p.add_argument("--status", required=True, choices=("pending", "success", "failure"))
    p.add_argument("--url", help="a link to the run (http or https)")
    p.add_argument("--summary", default="", help="one line on the outcome")
    p.add_argument("--revision", type=int, metavar="M",
                   help="the revision the check ran on (default: the current one, as it is when the report arrives)")

    p = _parser(sub, common, "dismiss", "dismiss a request for changes (admins)", cmd_dismiss)
    p.add_argument("review", type=int, metavar="REVIEW_ID")
    p.add_argument("--reason", required=True)
    p = _parser(sub, common, "withdraw", "withdraw your proposal", cmd_withdraw)
    p.add_argument("--reason", default="")
    p = _parser(sub, common, "reject", "reject a proposal (owners of touched clauses, admins)", cmd_reject)
    p.add_argument("--reason", required=True)
    _parser(sub, common, "merge", "merge an approved proposal into the spec repo", cmd_merge)
    _parser(sub, common, "proposal", "one proposal: revisions, reviews, comments, policy status", cmd_proposal)
    p = _parser(sub, common, "proposals", "list proposals", cmd_proposals, number=False)
    p.add_argument("--state", choices=STATES)
    p.add_argument("--clause", metavar="ID", help="only proposals touching this clause")
    _parser(sub, common, "queue", "proposals waiting for your approval", cmd_queue, number=False)


def _read(path: Path | None) -> str:
    from registry.errors import BadRequest

    if path is None:
        raise BadRequest("give the clause's new Markdown with --file (use - for stdin)")
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read {path}: {exc}") from exc


def _out(ctx: Context, proposal_id: int, state: str, text: str) -> int:
    ctx.emit({"id": proposal_id, "state": state}, text)
    return 0


def cmd_propose(args: argparse.Namespace, ctx: Context) -> int:
    """Open a proposal for one clause."""
    from registry.errors import BadRequest
    from registry.gitsource import SpecSource
    from registry.proposals.authoring import ChangeInput, check_input, propose
    from registry.proposals.feasibility import proposal_shortfalls

    if args.path is not None:
        change = _file_change(args)
    elif args.id is None:
        raise BadRequest("say which clause to propose a change to (ID), or which governance file (--path)")
    elif args.remove:
        change = ChangeInput("remove", args.id)
    elif args.after or args.document:
        change = ChangeInput("add", args.id, _read(args.file), args.document, args.after)
    else:
        change = ChangeInput("change", args.id, _read(args.file))
    check_input([change], args.title, args.rationale)  # before the write lock: parsing a huge text must not hold it
    with ctx.session(write=True) as session, SpecSource(ctx.own_clone(session) or ctx.settings.repo) as source:
        p = propose(session, source, acting(session, args), args.title, args.rationale, [change], args.draft)
        pid, state, short = p.id, p.state, proposal_shortfalls(session, p.id)
    lines = [f"proposal #{pid} is {state}"] + [f"warning: {s.message()}" for s in short]
    ctx.emit({"id": pid, "state": state, "infeasible": [s.as_dict() for s in short]}, "\n".join(lines))
    return 0


def _file_change(args: argparse.Namespace) -> ChangeInput:
    """`propose --path FILE --file NEW`: replace a governance file; clause options do not go with it."""
    from registry.errors import BadRequest
    from registry.proposals.authoring import ChangeInput
    from registry.proposals.governance import FILE, require_path

    clashing = [flag for flag, given in (("ID", args.id), ("--remove", args.remove), ("--after", args.after),
                                         ("--document", args.document)) if given]
    if clashing:
        raise BadRequest(f"--path replaces a whole governance file; {', '.join(clashing)} "
                         "belong to clause proposals")
    require_path(args.path)
    if args.file is None:
        raise BadRequest(f"give the new {args.path} with --file (use - for stdin)")
    return ChangeInput(FILE, args.path, _read(args.file))


def cmd_revise(args: argparse.Namespace, ctx: Context) -> int:
    """Revise a proposal: new text for one clause, or clauses dropped."""
    from registry import limits
    from registry.gitsource import SpecSource
    from registry.proposals.authoring import check_change_text, check_clause_text, check_input, revise_clause
    from registry.proposals.governance import FILE, is_governance_path, is_toml

    text = None if args.file is None else _read(args.file)
    check_input([], note=args.note)  # before the write lock, as propose does
    if text is not None:
        limits.check_text("the text", text, max(limits.CLAUSE_TEXT, limits.GOVERNANCE_FILE))
        if args.clause and is_governance_path(args.clause):
            check_change_text(FILE, args.clause, text)
        # Without --clause, TOML is a governance file's new content (a clause never is: its heading
        # line is a TOML comment, its body not TOML); the use case checks it once it knows the file.
        elif args.clause or not is_toml(text):
            check_clause_text(text, f"the text of {args.clause}" if args.clause else "the text")
    with ctx.session(write=True) as session, SpecSource(ctx.own_clone(session) or ctx.settings.repo) as source:
        p = revise_clause(session, source, acting(session, args), args.number, args.clause, text, args.drop,
                          args.note, args.revision)
        pid, state, rev = p.id, p.state, p.revision
    return _out(ctx, pid, state, f"proposal #{pid} is {state} at revision {rev}")


def _simple(args: argparse.Namespace, ctx: Context, action: str, *extra: object) -> int:
    from registry.proposals import authoring as proposals

    with ctx.session(write=True) as session:
        p = getattr(proposals, action)(session, acting(session, args), args.number, *extra)
        pid, state = p.id, p.state
    return _out(ctx, pid, state, f"proposal #{pid} is {state}")


def cmd_submit(args: argparse.Namespace, ctx: Context) -> int:
    """Open a draft."""
    return _simple(args, ctx, "submit")


def cmd_withdraw(args: argparse.Namespace, ctx: Context) -> int:
    """Withdraw a proposal."""
    return _simple(args, ctx, "withdraw", args.reason)


def cmd_reject(args: argparse.Namespace, ctx: Context) -> int:
    """Reject a proposal."""
    return _simple(args, ctx, "reject", args.reason)


def cmd_comment(args: argparse.Namespace, ctx: Context) -> int:
    """Comment on a proposal."""
    from registry.proposals.authoring import comment

    with ctx.session(write=True) as session:
        row = comment(session, acting(session, args), args.number, args.text)
        data = {"id": args.number, "comment": row.id}
    ctx.emit(data, f"comment {row.id} added to proposal #{args.number}")
    return 0


def cmd_review(args: argparse.Namespace, ctx: Context) -> int:
    """Approve, request changes, or withdraw your request."""
    from registry.errors import BadRequest
    from registry.proposals import reviews
    from registry.proposals.store import get_proposal

    with ctx.session(write=True) as session:
        actor = acting(session, args)
        if args.kind == "withdraw_veto":
            if args.revision is not None:
                raise BadRequest("--revision goes with --approve or --request-changes, not --withdraw-veto")
            review = reviews.withdraw_veto(session, actor, args.number)
        else:
            review = getattr(reviews, args.kind)(session, actor, args.number, args.comment, args.revision)
        data = {"id": args.number, "state": get_proposal(session, args.number).state, "review": review.id,
                "kind": review.kind, "meaning": review.meaning, "digest": review.digest}
    ctx.emit(data, f"review {review.id} on proposal #{args.number} ({review.meaning}); "
                   f"the proposal is {data['state']}")
    return 0


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Report a check: {"id", "state", "check", "revision"}; a `checks` token (SPECREG_TOKEN) suffices."""
    from registry.models import Revision
    from registry.proposals.check_reports import report_check
    from registry.proposals.store import get_proposal

    with ctx.session(write=True) as session:
        row = report_check(session, acting(session, args, scope="checks"), args.number, args.name, args.status,
                           args.revision, args.url, args.summary)
        revision = session.get_one(Revision, row.revision_id).number
        data = {"id": args.number, "state": get_proposal(session, args.number).state, "check": row.id,
                "revision": revision}
    ctx.emit(data, f"check {args.name}={args.status} reported on revision {revision} of proposal #{args.number}; "
                   f"the proposal is {data['state']}")
    return 0


def cmd_dismiss(args: argparse.Namespace, ctx: Context) -> int:
    """Dismiss someone's request for changes."""
    from registry.proposals.reviews import dismiss_veto
    from registry.proposals.store import get_proposal

    with ctx.session(write=True) as session:
        dismiss_veto(session, acting(session, args), args.number, args.review, args.reason)
        state = get_proposal(session, args.number).state
    return _out(ctx, args.number, state, f"request {args.review} dismissed; proposal #{args.number} is {state}")


def cmd_merge(args: argparse.Namespace, ctx: Context) -> int:
    """Merge: {"id", "state", "commit"}; a refusal or a conflict exits 1 naming why."""
    from registry.errors import MergeConflict
    from registry.proposals.merge import merge

    with ctx.session(write=True) as session:
        result = merge(session, ctx.settings.repo, ctx.settings.branch, acting(session, args), args.number,
                       remote=ctx.settings.remote)
    if result.conflicts:  # the conflicted state is committed; the command still fails
        raise MergeConflict(f"proposal #{result.id} conflicts and must be revised: " + "; ".join(result.conflicts))
    ctx.emit(result.as_dict(), f"proposal #{result.id} merged as {result.commit}")
    return 0


def cmd_proposal(args: argparse.Namespace, ctx: Context) -> int:
    """One proposal in full."""
    from registry.cli.proposal_text import detail_text
    from registry.proposals.reads import proposal_detail

    with ctx.session() as session:
        detail = proposal_detail(session, args.number)
    ctx.emit(detail.as_dict(), detail_text(detail))
    return 0


def cmd_proposals(args: argparse.Namespace, ctx: Context) -> int:
    """Proposals, newest first."""
    from registry.cli.proposal_text import summary_line
    from registry.proposals.reads import list_proposals

    with ctx.session() as session:
        rows = list_proposals(session, args.state, args.clause)
    lines = [summary_line(r) for r in rows]
    ctx.emit([r.as_dict() for r in rows], "\n".join(lines) or "(no proposals)")
    return 0


def cmd_queue(args: argparse.Namespace, ctx: Context) -> int:
    """Proposals the acting user may approve and has not yet."""
    from registry.cli.proposal_text import summary_line
    from registry.proposals.reads import review_queue

    with ctx.session() as session:
        rows = review_queue(session, required(session, args))
    lines = [f"{summary_line(r)}; you may approve {', '.join(r.as_owner_of)}" for r in rows]
    ctx.emit([r.as_dict() for r in rows], "\n".join(lines) or "(nothing waits for your review)")
    return 0
