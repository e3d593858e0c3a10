"""Policy commands: policy check (clauses whose rule too few people may approve)."""
from __future__ import annotations

import argparse

from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the policy commands."""
    p = sub.add_parser("policy", parents=[common], help="check the approval policy")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = actions.add_parser("check", parents=[common],
                           help="clauses whose rule needs more approvals than people may give (exit 1 when any)")
    c.add_argument("--at", metavar="REF", help="tag, branch, commit sha or ISO date (default: the head)")
    c.set_defaults(handler=cmd_policy_check)


def cmd_policy_check(args: argparse.Namespace, ctx: Context) -> int:
    """Every clause that can never get the approvals its rule needs; exit 1 when there is one."""
    from registry.ledger.refs import resolve
    from registry.proposals.feasibility import policy_check

    with ctx.session() as session:
        result = policy_check(session, resolve(session, args.at))
    head = f"policy at {result.at.ref} ({result.at.sha[:12]}): "
    lines = [head + ("every clause can be approved" if result.ok else
                     f"{len(result.infeasible)} clause(s) can never be approved")]
    lines += [f"  {s.message()}" for s in result.infeasible]
    ctx.emit(result.as_dict(), "\n".join(lines))
    return 0 if result.ok else 1
