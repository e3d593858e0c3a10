"""Web commands: serve, demo."""
from __future__ import annotations

import argparse
from pathlib import Path

from registry.cli.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add serve and demo."""
    p = sub.add_parser("serve", parents=[common], help="run the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("demo", parents=[common],
                       help="build the demo spec repo, create the database, ingest, and serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-serve", action="store_true", help="stop after ingest")
    p.set_defaults(handler=cmd_demo)


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    """Serve the web UI and API until interrupted."""
    from registry.app import create_app

    app = create_app(settings=ctx.settings)
    ctx.note(f"Specreg serving {ctx.settings.repo} at http://{args.host}:{args.port}/  (Ctrl-C stops)")
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    return 0


def _seed(ctx: Context, repo: Path) -> None:
    """On a database without accounts: the demo users (README) and proposals in every state."""
    from registry.demo.seed import DEMO_PASSWORD, needs_seed, seed
    from registry.gitsource import SpecSource

    with SpecSource(repo) as source, ctx.session(write=True) as session:
        if not needs_seed(session):
            return
        made = seed(session, source, repo, ctx.settings.branch)
    ctx.note(f"Demo accounts created (password {DEMO_PASSWORD!r}, see the README) and proposals "
             f"{', '.join(made)}")


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    """The README's main job: demo repo, schema, ingest, then serve."""
    from registry.cli.ledger import cmd_ingest, cmd_init
    from registry.demo.repo import build_demo_repo

    repo = build_demo_repo(ctx.settings.repo)
    ctx.note(f"Demo spec repo built at {repo}")
    cmd_init(args, ctx)
    cmd_ingest(argparse.Namespace(repo=repo, branch=None, include=[], similarity=None), ctx)
    _seed(ctx, repo)
    if args.no_serve:
        return 0
    return cmd_serve(args, ctx)
