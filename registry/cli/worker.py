"""`specreg worker`: background work (syncing the spec repo, sending webhooks) on an interval and on request."""
from __future__ import annotations

import argparse
from datetime import timedelta

from registry.cli.context import Context, option_or_env

INTERVAL_ENV = "SPECREG_WORKER_INTERVAL"
RETENTION_ENV = "SPECREG_WEBHOOK_RETENTION_DAYS"
VERIFY_INTERVAL_ENV = "SPECREG_VERIFY_INTERVAL"


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 1 <= seconds <= 7 * 86400:
        raise argparse.ArgumentTypeError(f"must be from 1 second to 7 days, not {value!r}")
    return seconds


def _days(value: str) -> float:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None
    if not 1 <= days <= 36500:
        raise argparse.ArgumentTypeError(f"must be from 1 to 36500 days, not {value!r}")
    return days


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the worker command."""
    p = sub.add_parser("worker", parents=[common],
                       help="run background work: sync on an interval and on request (a push hook)")
    p.add_argument("--interval", type=_seconds, default=None, metavar="SECONDS",
                   help=f"seconds between syncs nobody asked for (default: {INTERVAL_ENV}, else 300)")
    p.add_argument("--verify-interval", type=_seconds, default=None, metavar="SECONDS",
                   help=f"seconds between verify runs (default: {VERIFY_INTERVAL_ENV}, else 3600)")
    p.add_argument("--webhook-retention", type=_days, default=None, metavar="DAYS",
                   help=f"days finished webhook deliveries are kept (default: {RETENTION_ENV}, else 90)")
    p.add_argument("--once", action="store_true", help="do what is due now (a sync, requests) and exit")
    p.add_argument("--request", choices=("sync", "verify"), metavar="JOB",
                   help="ask the running worker for a job now (sync or verify) and exit")
    p.set_defaults(handler=cmd_worker)


def _request(kind: str, ctx: Context) -> int:
    """Record a durable request for the job; a running worker does it within about a second."""
    from registry.worker.requests import request_job

    with ctx.session(write=True) as session:
        request_job(session, kind, "cli (specreg worker --request)")
    ctx.emit({"requested": kind}, f"Asked the worker for a {kind}; it runs within a second or so of a worker looking.")
    return 0


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    """Run the worker until SIGTERM or SIGINT (the job in flight finishes), or one turn with --once."""
    import logging.config
    import signal
    import threading

    from registry.jsonlog import logging_config
    from registry.webhooks.retention import DEFAULT_RETENTION
    from registry.worker.loop import DEFAULT_INTERVAL, DEFAULT_VERIFY_INTERVAL, Worker

    if args.request:
        return _request(args.request, ctx)
    interval = option_or_env(args.interval, INTERVAL_ENV, DEFAULT_INTERVAL, _seconds)
    verify_interval = option_or_env(args.verify_interval, VERIFY_INTERVAL_ENV, DEFAULT_VERIFY_INTERVAL, _seconds)
    keep = timedelta(days=option_or_env(args.webhook_retention, RETENTION_ENV, DEFAULT_RETENTION.days, _days))
    with ctx.session():  # refuses an out-of-date schema before anything runs
        pass
    logging.config.dictConfig(logging_config())
    worker = Worker(ctx.engine, ctx.settings, interval, keep_deliveries=keep, verify_interval=verify_interval)
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
