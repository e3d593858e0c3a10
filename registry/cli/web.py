"""Web commands: serve, demo."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from registry.cli.context import Context, option_or_env

DEFAULT_WORKERS = 2
MAX_WORKERS = 64
THREADS_ENV = "SPECREG_THREADS"
# Threads per worker process. A request mostly waits (on PostgreSQL, on the merge lock a merge on
# another host holds, on git fetching and pushing), and a waiting thread lets the others run. With
# bench/load.py on 2 cores (2 hosts x 2 workers, 8 clients; load average 8-12 from other work, so
# several times a quiet machine's figures) reads' p95 was 1.2-2.9 s with 1 thread, 1.0-2.2 s with 2,
# 0.23-0.8 s with 4 and 0.15-0.63 s with 8. On the quiet machine (three runs of 8, two of 4) the
# slowest read type's p95 was 88-102 ms with 8 threads and 136-293 ms with 4: 8 is the default,
# at twice the database connections a worker may hold (docs/deploy.md sizes max_connections by
# them, and shows the figures). 1 runs gunicorn's sync worker.
DEFAULT_THREADS = 8
MAX_THREADS = 32


def _count(most: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {most}, not {text!r}")
        return int(text)

    return parse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add serve and demo."""
    p = sub.add_parser("serve", parents=[common],
                       help="run the web app (gunicorn workers; --dev: Flask's development server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=_count(MAX_WORKERS), default=None, metavar="N",
                   help=f"worker processes of the production server (default {DEFAULT_WORKERS})")
    p.add_argument("--threads", type=_count(MAX_THREADS), default=None, metavar="N",
                   help=f"threads per worker process (default: {THREADS_ENV}, else {DEFAULT_THREADS}; "
                        "1: gunicorn's sync worker)")
    p.add_argument("--dev", action="store_true", help="Flask's development server: one process, for local use")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("demo", parents=[common],
                       help="build the demo spec repo, create the database, ingest, and serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-serve", action="store_true", help="stop after ingest")
    p.set_defaults(handler=cmd_demo, dev=True, workers=None, threads=None)  # the demo runs on the development server


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    """Serve the web UI and API until interrupted."""
    from registry.cli import serving
    from registry.errors import ConfigError

    where = f"{ctx.settings.repo} at http://{serving.bind_address(args.host, args.port)}/"
    if args.dev:
        # The development server is one process that serves each request in a thread of its own:
        # neither count applies (SPECREG_THREADS, meant for the production units, is not read).
        if args.workers not in (None, 1) or args.threads not in (None, 1):
            raise ConfigError("--dev runs Flask's development server, which is one process; "
                              "drop --dev to run --workers processes of --threads threads")
        ctx.note(f"Specreg serving {where} with the development server  (Ctrl-C stops)")
        serving.serve_development(ctx.settings, args.host, args.port)
        return 0
    workers = args.workers or DEFAULT_WORKERS
    threads = option_or_env(args.threads, THREADS_ENV, DEFAULT_THREADS, _count(MAX_THREADS))
    serving.check_secret_key(ctx.settings, workers)  # refused before anything starts, with the reason
    ctx.note(f"Specreg serving {where} with {workers} worker process{'es' if workers > 1 else ''} x "
             f"{threads} thread{'s' if threads > 1 else ''}  (Ctrl-C stops)")
    serving.serve_production(ctx.settings, args.host, args.port, workers, threads)
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
