"""Who is acting on the command line: `--as EMAIL` (local use, direct database access) or SPECREG_TOKEN.

Both resolve against the database directly: the CLI never talks to the web API. `--as` trusts
whoever can already write the database; SPECREG_TOKEN is an API token (`specreg token create`),
checked like the API checks it, so a revoked token stops working at once.
"""
from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from registry.accounts.actors import Actor

TOKEN_ENV = "SPECREG_TOKEN"


def add_actor_option(parser: argparse.ArgumentParser) -> None:
    """The `--as EMAIL` option every acting command takes."""
    parser.add_argument("--as", dest="actor", metavar="EMAIL",
                        help=f"act as this account (default: the account of ${TOKEN_ENV})")


def acting(session: Session, args: argparse.Namespace, scope: str = "full") -> Actor | None:
    """The acting account, or None when neither --as nor SPECREG_TOKEN says; a token must have `scope`
    (only `specreg check` asks for less than full: a `checks` token does nothing else)."""
    from registry.accounts.credentials import actor_for_token
    from registry.accounts.users import actor_for

    if getattr(args, "actor", None):
        return actor_for(session, args.actor)
    token = os.environ.get(TOKEN_ENV, "").strip()
    return actor_for_token(session, token, scope) if token else None


def required(session: Session, args: argparse.Namespace, scope: str = "full") -> Actor:
    """The acting account; Unauthorized when nobody is named."""
    from registry.errors import Unauthorized

    actor = acting(session, args, scope)
    if actor is None:
        raise Unauthorized(f"say who is acting: --as EMAIL or ${TOKEN_ENV}")
    return actor
