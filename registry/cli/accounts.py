"""Account commands: user (add, list, role, password, disable, revoke-sessions) and token (create, list, revoke)."""
from __future__ import annotations

import argparse
import getpass
import sys

from registry.cli.acting import acting, add_actor_option, required
from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `user` and `token` with their subcommands."""
    user = sub.add_parser("user", parents=[common], help="accounts: add, list, role, password, disable")
    users = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = users.add_parser("add", parents=[common], help="add an account (the first one must be an admin)")
    p.add_argument("email")
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="viewer", choices=("viewer", "editor", "admin"))
    p.add_argument("--password-stdin", action="store_true", help="read a password for local login from stdin")
    p.set_defaults(handler=cmd_user_add)
    p = users.add_parser("list", parents=[common], help="every account with its role")
    p.set_defaults(handler=cmd_user_list)
    p = users.add_parser("role", parents=[common], help="change an account's role")
    p.add_argument("email")
    p.add_argument("role", choices=("viewer", "editor", "admin"))
    p.set_defaults(handler=cmd_user_role)
    p = users.add_parser("password", parents=[common], help="set a password (asked for, or from stdin); revokes "
                         "the account's API tokens and sessions")
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true",
                   help="read it from stdin (your own: the current password on the first line, the new one on the next)")
    p.set_defaults(handler=cmd_user_password)
    p = users.add_parser("disable", parents=[common], help="disable an account, revoking its sessions and tokens")
    p.add_argument("email")
    p.set_defaults(handler=cmd_user_disable)
    p = users.add_parser("enable", parents=[common], help="enable a disabled account again")
    p.add_argument("email")
    p.set_defaults(handler=cmd_user_enable)
    p = users.add_parser("revoke-sessions", parents=[common], help="log an account out everywhere")
    p.add_argument("email")
    p.set_defaults(handler=cmd_user_revoke_sessions)

    token = sub.add_parser("token", parents=[common], help="API tokens: create, list, revoke")
    tokens = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = tokens.add_parser("create", parents=[common], help="a new API token (shown once)")
    p.add_argument("email")
    p.add_argument("--name", default="", help="a label, e.g. the machine it is for")
    p.add_argument("--scope", default="full", choices=("full", "checks"),
                   help="full (default): acts as the account everywhere; checks: may only report checks")
    p.set_defaults(handler=cmd_token_create)
    p = tokens.add_parser("list", parents=[common], help="an account's tokens (never their secrets)")
    p.add_argument("email", nargs="?")
    p.set_defaults(handler=cmd_token_list)
    p = tokens.add_parser("revoke", parents=[common], help="revoke a token by its id")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_token_revoke)
    for parser in (*users.choices.values(), *tokens.choices.values()):
        add_actor_option(parser)


def _password(args: argparse.Namespace, required: bool) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if required:
        return getpass.getpass("New password: ")
    return None


def cmd_user_add(args: argparse.Namespace, ctx: Context) -> int:
    """Add an account."""
    from registry.accounts.users import add_user

    password = _password(args, False)
    with ctx.session(write=True) as session:
        user = add_user(session, acting(session, args), args.email, args.name, args.role, password, bootstrap=True)
    ctx.emit(user.as_dict(), f"added {user.email} ({user.name}) as {user.role}")
    return 0


def cmd_user_list(args: argparse.Namespace, ctx: Context) -> int:
    """Every account."""
    from registry.accounts.users import list_users

    with ctx.session() as session:
        users = list_users(session)
    lines = [f"{u['email']:<32} {u['role']:<7} {'enabled' if u['enabled'] else 'disabled':<9} "
             f"last login {u['last_login'] or 'never':<25} {u['tokens']} token(s)  {u['name']}" for u in users]
    ctx.emit(users, "\n".join(lines) or "(no accounts)")
    return 0


def cmd_user_role(args: argparse.Namespace, ctx: Context) -> int:
    """Change a role."""
    from registry.accounts.users import set_role

    with ctx.session(write=True) as session:
        user = set_role(session, acting(session, args), args.email, args.role)
    ctx.emit(user.as_dict(), f"{user.email} is now {user.role}")
    return 0


def _current_password(args: argparse.Namespace) -> str:
    if args.password_stdin:  # the current password on the first line, the new one on the second
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Current password: ")


def cmd_user_password(args: argparse.Namespace, ctx: Context) -> int:
    """Set a password (your own: the current one first); the account's API tokens and sessions are revoked."""
    from registry.accounts.actors import normalize_email
    from registry.accounts.users import find_account, set_password

    with ctx.session() as session:  # asked before the write: no lock is held while someone types
        actor = acting(session, args)
        own = actor is not None and actor.email == normalize_email(args.email)
        asks = own and find_account(session, args.email)[1].password_hash is not None
    current = _current_password(args) if asks else None
    password = _password(args, True) or ""
    with ctx.session(write=True) as session:
        set_password(session, acting(session, args), args.email, password, current)
    ctx.emit({"email": args.email.strip().lower(), "password": True}, "password set")
    return 0


def cmd_user_disable(args: argparse.Namespace, ctx: Context) -> int:
    """Disable an account."""
    from registry.accounts.users import disable_user

    with ctx.session(write=True) as session:
        disable_user(session, acting(session, args), args.email)
    ctx.emit({"email": args.email.strip().lower(), "enabled": False}, f"{args.email} disabled")
    return 0


def cmd_user_enable(args: argparse.Namespace, ctx: Context) -> int:
    """Enable a disabled account."""
    from registry.accounts.users import enable_user

    with ctx.session(write=True) as session:
        enable_user(session, acting(session, args), args.email)
    ctx.emit({"email": args.email.strip().lower(), "enabled": True}, f"{args.email} enabled")
    return 0


def cmd_user_revoke_sessions(args: argparse.Namespace, ctx: Context) -> int:
    """Revoke every login session of an account."""
    from registry.accounts.credentials import revoke_sessions

    with ctx.session(write=True) as session:
        count = revoke_sessions(session, acting(session, args), args.email)
    ctx.emit({"email": args.email.strip().lower(), "revoked": count}, f"revoked {count} session(s)")
    return 0


def cmd_token_create(args: argparse.Namespace, ctx: Context) -> int:
    """Create a token and print it once."""
    from registry.accounts.credentials import create_token

    with ctx.session(write=True) as session:
        secret, row = create_token(session, acting(session, args), args.email, args.name, args.scope)
        data = {"id": row.id, "email": args.email.strip().lower(), "token": secret, "prefix": row.prefix,
                "scope": row.scope}
    ctx.emit(data, f"{secret}\n(token {row.id} for {data['email']}, {row.scope} scope: shown once, keep it secret; "
                   f"use it as SPECREG_TOKEN or an Authorization: Bearer header)")
    return 0


def cmd_token_list(args: argparse.Namespace, ctx: Context) -> int:
    """List an account's tokens."""
    from registry.accounts.credentials import list_tokens

    with ctx.session() as session:
        tokens = list_tokens(session, required(session, args), args.email)
    lines = [f"{t['id']:>4}  {t['prefix']}…  {t['name'] or '-'}  {t['scope']}  created {t['created_at']}"
             + (f"  REVOKED {t['revoked_at']}" if t["revoked_at"] else "") for t in tokens]
    ctx.emit(tokens, "\n".join(lines) or "(no tokens)")
    return 0


def cmd_token_revoke(args: argparse.Namespace, ctx: Context) -> int:
    """Revoke a token."""
    from registry.accounts.credentials import revoke_token

    with ctx.session(write=True) as session:
        row = revoke_token(session, acting(session, args), args.id)
    ctx.emit({"id": row.id, "revoked": True}, f"token {row.id} revoked")
    return 0
