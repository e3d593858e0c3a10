"""`specreg worker`: background work (syncing the spec repo, sending webhooks) on an interval and on request."""
from __future__ import annotations

import argparse
import os

from registry.cli.context import Context
from registry.errors import BadRequest

INTERVAL_ENV = "SPECREG_WORKER_INTERVAL"


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 1 <= seconds <= 7 * 86400:
        raise argparse.ArgumentTypeError(f"must be from 1 second to 7 days, not {value!r}")
    return seconds


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the worker command."""
    p = sub.add_parser("worker", parents=[common],
                       help="run background work: sync on an interval and on request (a push hook)")
    p.add_argument("--interval", type=_seconds, default=None, metavar="SECONDS",
                   help=f"seconds between syncs nobody asked for (default: {INTERVAL_ENV}, else 300)")
    p.add_argument("--once", action="store_true", help="do what is due now (a sync, requests) and exit")
    p.set_defaults(handler=cmd_worker)


def _interval(args: argparse.Namespace) -> float:
    from registry.worker.loop import DEFAULT_INTERVAL

    if args.interval is not None:
        return float(args.interval)
    configured = os.environ.get(INTERVAL_ENV, "").strip()
    if not configured:
        return DEFAULT_INTERVAL
    try:
        return _seconds(configured)
    except argparse.ArgumentTypeError as exc:
        raise BadRequest(f"{INTERVAL_ENV} {exc}") from None


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    """Run the worker until SIGTERM or SIGINT (the job in flight finishes), or one turn with --once."""
    import logging.config
    import signal
    import threading

    from registry.jsonlog import logging_config
    from registry.worker.loop import Worker

    interval = _interval(args)
    with ctx.session():  # refuses an out-of-date schema before anything runs
        pass
    logging.config.dictConfig(logging_config())
    worker = Worker(ctx.engine, ctx.settings, interval)
    if args.once:
        outcomes = worker.turn()
        ctx.emit({"jobs": outcomes}, "\n".join(
            f"{o['job']}: {'ok' if o['ok'] else 'failed: ' + o['error']}" for o in outcomes) or "nothing due")
        return 0 if all(o["ok"] for o in outcomes) else 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(stop)
    return 0
