"""Owner commands: who-owns, owned-by, unowned, owner-history, assign, unassign."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from registry.cli.acting import add_actor_option, required
from registry.cli.context import Context

if TYPE_CHECKING:
    from registry.owners.queries import ClauseOwners


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the owner commands."""
    p = sub.add_parser("who-owns", parents=[common], help="a clause's effective owners (now or at a ref)")
    p.add_argument("id")
    p.add_argument("--at", metavar="REF", help="tag, branch, commit sha or ISO date")
    p.set_defaults(handler=cmd_who_owns)

    p = sub.add_parser("owned-by", parents=[common], help="every clause a person or team owns")
    p.add_argument("owner", metavar="PERSON_OR_TEAM", help="an email, or team:NAME (or a team's name)")
    p.add_argument("--at", metavar="REF")
    p.set_defaults(handler=cmd_owned_by)

    p = sub.add_parser("unowned", parents=[common], help="clauses nobody owns, and their share of the spec")
    p.add_argument("--at", metavar="REF")
    p.set_defaults(handler=cmd_unowned)

    p = sub.add_parser("owner-history", parents=[common], help="every change of a clause's owners")
    p.add_argument("id")
    p.add_argument("--at", metavar="REF", help="stop at this ref (default: now)")
    p.set_defaults(handler=cmd_owner_history)

    for name, handler, text in (("assign", cmd_assign, "give a clause an owner in the registry (admins)"),
                                ("unassign", cmd_unassign, "end a registry assignment (admins)")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("id")
        p.add_argument("owner", metavar="PERSON_OR_TEAM")
        p.add_argument("--reason", required=True, help="why (kept in the ownership history)")
        add_actor_option(p)
        p.set_defaults(handler=handler)


def _owners_text(result: ClauseOwners) -> str:
    from registry.ledger.refs import iso
    from registry.owners.resolution import describe_source

    lines = [f"{result.id} @ {result.at.ref} ({result.at.sha[:12]})"]
    for o in result.owners:
        team = f" via team {o.team}" if o.team else ""
        lines.append(f"  {o.name} <{o.email}>{team}  {describe_source(o.source)}  since {iso(o.since)}")
    return "\n".join(lines if result.owners else lines + ["  (unowned)"])


def cmd_who_owns(args: argparse.Namespace, ctx: Context) -> int:
    """A clause's owners at a ref, where each came from and since when."""
    from registry.ledger.refs import resolve
    from registry.owners.queries import who_owns

    with ctx.session() as session:
        result = who_owns(session, args.id, resolve(session, args.at))
    ctx.emit(result.as_dict(), _owners_text(result))
    return 0


def cmd_owned_by(args: argparse.Namespace, ctx: Context) -> int:
    """Every clause a person or team owns at a ref."""
    from registry.ledger.refs import resolve
    from registry.owners.queries import owned_by
    from registry.owners.resolution import describe_source

    with ctx.session() as session:
        result = owned_by(session, args.owner, resolve(session, args.at))
    lines = [f"{result.display} owns {len(result.clauses)} clause(s) @ {result.at.ref}"]
    lines += [f"  {c.clause.id}  {c.clause.title}  ({describe_source(c.source)}"
              f"{', via team ' + c.team if c.team and result.owner.kind == 'person' else ''})"
              for c in result.clauses]
    ctx.emit(result.as_dict(), "\n".join(lines))
    return 0


def cmd_unowned(args: argparse.Namespace, ctx: Context) -> int:
    """Clauses with no owner and the share of the spec they are."""
    from registry.ledger.refs import resolve
    from registry.owners.queries import unowned

    with ctx.session() as session:
        result = unowned(session, resolve(session, args.at))
    lines = [f"{len(result.clauses)} of {result.total} clause(s) unowned ({result.share:.0%} of clauses, "
             f"{result.text_share:.0%} of the text) @ {result.at.ref}"]
    lines += [f"  {v.id}  {v.title}  ({v.document})" for v in result.clauses]
    ctx.emit(result.as_dict(), "\n".join(lines))
    return 0


def cmd_owner_history(args: argparse.Namespace, ctx: Context) -> int:
    """Every change of a clause's effective owners, when and why."""
    from registry.ledger.refs import iso, resolve
    from registry.owners.queries import clause_ownership_history

    with ctx.session() as session:
        changes = clause_ownership_history(session, args.id, resolve(session, args.at))
    lines = []
    for c in changes:
        delta = " ".join([f"+{e}" for e in c.added] + [f"-{e}" for e in c.removed]) \
            or ("(no owner)" if not c.owners else "(sources changed)")
        where = f"commit {c.commit[:12]}" if c.kind == "commit" else "registry"
        lines.append(f"{iso(c.date)}  {where:<19}  {delta}  -- {c.why} ({c.by})")
    ctx.emit([c.as_dict() for c in changes], "\n".join(lines) or "(no ownership history)")
    return 0


def _assignment(args: argparse.Namespace, ctx: Context, action: str) -> int:
    from registry.owners import assignments

    with ctx.session(write=True) as session:
        row = getattr(assignments, action)(session, required(session, args), args.id, args.owner, args.reason)
        data = assignments.assignment_dict(session, row)
    ctx.emit(data, f"{data['action']}ed {data['owner']} {'to' if action == 'assign' else 'from'} {data['id']}")
    return 0


def cmd_assign(args: argparse.Namespace, ctx: Context) -> int:
    """Record a registry owner for a clause."""
    return _assignment(args, ctx, "assign")


def cmd_unassign(args: argparse.Namespace, ctx: Context) -> int:
    """End a registry assignment."""
    return _assignment(args, ctx, "unassign")
