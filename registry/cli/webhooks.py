"""`specreg webhook`: add, list and remove webhooks, and list their deliveries with every attempt."""
from __future__ import annotations

import argparse
import sys

from registry.cli.acting import acting, add_actor_option
from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `webhook` with its subcommands."""
    hook = sub.add_parser("webhook", parents=[common], help="webhooks: add, list, remove, deliveries")
    hooks = hook.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = hooks.add_parser("add", parents=[common], help="send these events to a URL (admins)")
    p.add_argument("url")
    p.add_argument("--events", required=True, metavar="E1,E2", help="comma-separated events")
    p.add_argument("--secret-stdin", action="store_true",
                   help="read the signing secret from stdin (default: one is made and shown once)")
    add_actor_option(p)
    p.set_defaults(handler=cmd_add)
    p = hooks.add_parser("list", parents=[common], help="the webhooks (never their secrets)")
    p.set_defaults(handler=cmd_list)
    p = hooks.add_parser("remove", parents=[common], help="stop a webhook; its unsent deliveries are cancelled (admins)")
    p.add_argument("id", type=int)
    add_actor_option(p)
    p.set_defaults(handler=cmd_remove)
    p = hooks.add_parser("deliveries", parents=[common], help="the latest deliveries with each attempt's status")
    p.add_argument("--failed", action="store_true", help="only deliveries that failed or whose last attempt failed")
    p.add_argument("--limit", type=int, default=100, help="how many, newest first (default 100)")
    p.set_defaults(handler=cmd_deliveries)


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    """Add a webhook; a secret made for it is printed this once."""
    from registry.webhooks.subscriptions import add_webhook

    secret = sys.stdin.readline().rstrip("\r\n") if args.secret_stdin else None
    with ctx.session(write=True) as session:
        view, made = add_webhook(session, acting(session, args), args.url, args.events, secret)
    data = view.as_dict() | ({"secret": made} if made else {})
    ctx.emit(data, f"Webhook {view.id}: {view.url} for {', '.join(view.events)}"
             + (f"\nsecret (shown once, verify X-Specreg-Signature-256 with it): {made}" if made else ""))
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    """The live webhooks."""
    from registry.webhooks.subscriptions import list_webhooks

    with ctx.session() as session:
        views = list_webhooks(session)
    ctx.emit([v.as_dict() for v in views],
             "\n".join(f"#{v.id:<4} {v.url}  {', '.join(v.events)}" for v in views) or "(no webhooks)")
    return 0


def cmd_remove(args: argparse.Namespace, ctx: Context) -> int:
    """Remove a webhook."""
    from registry.webhooks.subscriptions import remove_webhook

    with ctx.session(write=True) as session:
        view = remove_webhook(session, acting(session, args), args.id)
    ctx.emit(view.as_dict() | {"removed": True}, f"Webhook {view.id} removed ({view.url}).")
    return 0


def cmd_deliveries(args: argparse.Namespace, ctx: Context) -> int:
    """The latest deliveries, newest first, each with its attempts."""
    from registry.errors import BadRequest
    from registry.webhooks.delivery import deliveries

    if not 1 <= args.limit <= 1000:
        raise BadRequest("--limit must be from 1 to 1000")
    with ctx.session() as session:
        views = deliveries(session, failed=args.failed, limit=args.limit)
    lines = []
    for v in views:
        last = v.attempts[-1] if v.attempts else None
        got = "not tried yet" if last is None else (f"HTTP {last.status_code}" if last.status_code else last.error)
        lines.append(f"{v.id}  {v.event:<20} {v.status:<10} {len(v.attempts)} attempt(s), last: {got}  {v.url}")
    ctx.emit([v.as_dict() for v in views], "\n".join(lines) or "(no deliveries)")
    return 0
