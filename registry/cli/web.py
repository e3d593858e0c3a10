"""Web commands: serve, demo."""
from __future__ import annotations

import argparse
from pathlib import Path

from registry.cli.context import Context

DEFAULT_WORKERS = 2
MAX_WORKERS = 64


def _workers(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add serve and demo."""
    p = sub.add_parser("serve", parents=[common],
                       help="run the web app (gunicorn workers; --dev: Flask's development server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help=f"worker processes of the production server (default {DEFAULT_WORKERS})")
    p.add_argument("--dev", action="store_true", help="Flask's development server: one process, for local use")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("demo", parents=[common],
                       help="build the demo spec repo, create the database, ingest, and serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-serve", action="store_true", help="stop after ingest")
    p.set_defaults(handler=cmd_demo, dev=True, workers=None)  # the demo runs on the development server


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    """Serve the web UI and API until interrupted."""
    from registry.cli import serving
    from registry.errors import ConfigError

    where = f"{ctx.settings.repo} at http://{serving.bind_address(args.host, args.port)}/"
    if args.dev:
        if args.workers not in (None, 1):
            raise ConfigError("--dev runs Flask's development server, which is one process; "
                              "drop --dev to run --workers processes")
        ctx.note(f"Specreg serving {where} with the development server  (Ctrl-C stops)")
        serving.serve_development(ctx.settings, args.host, args.port)
        return 0
    workers = args.workers or DEFAULT_WORKERS
    serving.check_secret_key(ctx.settings, workers)  # refused before anything starts, with the reason
    ctx.note(f"Specreg serving {where} with {workers} worker process{'es' if workers > 1 else ''}  (Ctrl-C stops)")
    serving.serve_production(ctx.settings, args.host, args.port, workers)
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
