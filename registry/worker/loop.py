"""The worker loop: a sync and verify on intervals and on request, webhook deliveries and their pruning.

Each turn reads the pending requests (one small query), runs a sync when one was asked for or the
interval has passed, and marks the requests it answered done only after the job succeeded; then it
runs verify when one was asked for or its interval has passed since the last run (by any process:
the schedule is in the database, and one process claims a due run), sends the webhook deliveries
that are due (one small query when there are none), and every PRUNE_EVERY seconds deletes the
finished ones older than the retention period. A sync that fails is logged and tried again after a
growing pause (at most the interval), its requests kept; a verify that could not run is tried again
after VERIFY_RETRY at most. A stop request (SIGTERM, SIGINT) is looked at only between jobs, so the
job in flight ends.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from registry.accountability import verify_runs
from registry.config import Settings
from registry.db import session_scope
from registry.models import utcnow
from registry.webhooks import delivery, retention
from registry.worker import jobs, requests

log = logging.getLogger("specreg.worker")

DEFAULT_INTERVAL = 300.0  # seconds between syncs nobody asked for
DEFAULT_VERIFY_INTERVAL = 3600.0  # seconds between verify runs nobody asked for
VERIFY_RETRY = 300.0  # seconds before a verify that could not run is tried again (at most its interval)
POLL = 1.0  # seconds between looks at the requests table
PRUNE_EVERY = 3600.0  # seconds between prunings of the outbox (at start, then hourly)
Clock = Callable[[], float]


@dataclass
class Worker:
    """One worker process's state: when it last synced, how many syncs failed in a row."""

    engine: Engine
    settings: Settings
    interval: float = DEFAULT_INTERVAL
    clock: Clock = time.monotonic
    keep_deliveries: timedelta = retention.DEFAULT_RETENTION  # finished webhook deliveries are kept this long
    next_sync: float | None = None  # None: at once (a worker syncs when it starts)
    verify_interval: float = DEFAULT_VERIFY_INTERVAL
    next_prune: float | None = None  # None: at once
    next_verify: float | None = None  # None: look at verify's schedule at once
    failures: int = 0

    def turn(self) -> list[dict[str, Any]]:
        """Do what is due now; one outcome per job run ({"job", "ok", ...})."""
        with session_scope(self.engine) as session:
            waiting = requests.pending(session)
        asked = [p for p in waiting if p.kind == requests.SYNC]
        due = self.next_sync is None or self.clock() >= self.next_sync
        outcomes = []
        if due or (asked and self.failures == 0):  # after a failure a request waits for the pause
            outcomes.append(self._sync(asked))
        verify_asked = [p for p in waiting if p.kind == requests.VERIFY]
        if verify_asked or self.next_verify is None or self.clock() >= self.next_verify:
            checked = self._verify(verify_asked)  # after the sync: it checks what was just ingested
            outcomes += [checked] if checked else []
        sent = self._deliveries()  # after the sync: what it announced goes out in the same turn
        pruned = self._prune()
        return outcomes + ([sent] if sent else []) + ([pruned] if pruned else [])

    def _verify(self, asked: list[requests.Pending]) -> dict[str, Any] | None:
        """Run verify when asked or when its schedule says it is due; an outcome when it ran (or could not)."""
        fields: dict[str, Any] = {"job": "verify", "reason": "requested" if asked else "interval",
                                  "requested_by": [p.source for p in asked]}
        now = utcnow()
        try:
            with session_scope(self.engine, write=True) as session:
                # A request runs it now; otherwise only the process that claims the due run does.
                due_at = verify_runs.claim(session, now, timedelta(seconds=0 if asked else self.verify_interval))
            if due_at is not None:
                self.next_verify = self.clock() + max((due_at - now).total_seconds(), POLL)
                return None
            log.info("verify started", extra={"fields": fields})
            findings, new = jobs.verify(self.engine, self.settings, now)
            with session_scope(self.engine, write=True) as session:
                for p in asked:
                    requests.mark_done(session, p)
        except Exception as exc:  # verify could not run (the database or the remote went away): later
            pause = min(self.verify_interval, VERIFY_RETRY)
            self.next_verify = self.clock() + pause
            log.exception("verify could not run: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          extra={"fields": {**fields, "retry_in_s": pause}})
            return {**fields, "ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
        self.next_verify = self.clock() + self.verify_interval
        # The job ran: findings are the record's problem, announced as webhooks, not the worker's failure.
        outcome = {**fields, "ok": True, "findings": [f.as_dict() for f in findings], "new": len(new)}
        if findings:
            log.error("verify found problems", extra={"fields": outcome})
        else:
            log.info("verify finished: every check holds", extra={"fields": outcome})
        return outcome

    def _prune(self) -> dict[str, Any] | None:
        """Delete the finished deliveries and removed webhooks past the retention, when due; an outcome when any went."""
        if self.next_prune is not None and self.clock() < self.next_prune:
            return None
        self.next_prune = self.clock() + PRUNE_EVERY
        try:
            with session_scope(self.engine, write=True) as session:
                pruned = retention.prune(session, utcnow() - self.keep_deliveries)
        except Exception as exc:  # the database went away: the next pruning tries again
            log.exception("pruning webhook deliveries failed", extra={"fields": {"job": "prune"}})
            return {"job": "prune", "ok": False, "error": str(exc).splitlines()[0] if str(exc) else "error"}
        if not (pruned.deliveries or pruned.webhooks):
            return None
        outcome = {"job": "prune", "ok": True, "deliveries": pruned.deliveries, "webhooks": pruned.webhooks,
                   "retention_days": self.keep_deliveries.days}
        log.info("webhook deliveries pruned", extra={"fields": outcome})
        return outcome

    def _deliveries(self) -> dict[str, Any] | None:
        """Send the webhook deliveries that are due; an outcome when there were any."""
        try:
            done = delivery.send_due(self.engine)
        except Exception as exc:  # the database went away mid-round: the next turn tries again
            log.exception("webhook deliveries failed: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          extra={"fields": {"job": "deliveries"}})
            return {"job": "deliveries", "ok": False, "error": str(exc).splitlines()[0] if str(exc) else "error"}
        if not done.delivered and not done.failed:
            return None
        outcome = {"job": "deliveries", "ok": True, **done.as_dict()}
        log.info("webhook deliveries sent", extra={"fields": {"job": "deliveries", "delivered": done.delivered,
                                                                  "failed": done.failed}})
        return outcome

    def _sync(self, asked: list[requests.Pending]) -> dict[str, Any]:
        why = "requested" if asked else "interval"
        fields: dict[str, Any] = {"job": "sync", "reason": why, "requested_by": [p.source for p in asked]}
        log.info("sync started", extra={"fields": fields})
        started = self.clock()
        try:
            report = jobs.sync(self.engine, self.settings)
            with session_scope(self.engine, write=True) as session:
                for p in asked:
                    requests.mark_done(session, p)
        except Exception as exc:  # a job's failure must not end the worker: log it, try again later
            self.failures += 1
            pause = min(self.interval, POLL * 2 ** min(self.failures, 16))
            self.next_sync = self.clock() + pause
            log.exception("sync failed: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          extra={"fields": {**fields, "retry_in_s": pause}})
            return {**fields, "ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
        self.failures = 0
        self.next_sync = self.clock() + self.interval
        outcome = {**fields, "ok": True, "duration_ms": round((self.clock() - started) * 1000, 1),
                   "head": report.get("head"), "commits": report.get("commits"), "versions": report.get("versions")}
        log.info("sync finished", extra={"fields": outcome})
        return {**outcome, "report": report}

    def run(self, stop: threading.Event) -> None:
        """Take turns until `stop` is set, looking at the requests every POLL seconds."""
        log.info("worker started", extra={"fields": {"interval_s": self.interval}})
        while not stop.is_set():
            self.turn()
            stop.wait(POLL)
        log.info("worker stopped")
