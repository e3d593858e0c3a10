"""The worker prunes finished webhook deliveries and their attempts after the retention period; pending ones stay."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from registry.worker.loop import Worker


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


def _deliveries(engine, rows: list[tuple[str, str, int]]) -> None:
    """(name, status, finished days ago) rows, each with one attempt; a pending row was created that long ago."""
    now = utcnow()
    with session_scope(engine, write=True) as s:
        hook = Webhook(url="http://127.0.0.1:9/x", events=["proposal.merged"], sealed_secret="(unused here)", created_by="root")
        s.add(hook)
        s.flush()
        for name, status, days in rows:
            at = now - timedelta(days=days)
            d = WebhookDelivery(delivery_id=name, webhook_id=hook.id, event="proposal.merged", body="{}",
                                status=status, attempts=1, created_at=at, next_attempt_at=at,
                                finished_at=None if status == "pending" else at)
            s.add(d)
            s.flush()
            s.add(WebhookAttempt(delivery_id=d.id, at=at, status_code=500, error="HTTP 500", duration_ms=3))


def _kept(engine) -> tuple[set[str], set[str]]:
    """The delivery names left, and the names of the deliveries whose attempts are left."""
    with session_scope(engine) as s:
        left = set(s.scalars(select(WebhookDelivery.delivery_id)))
        attempts = set(s.scalars(select(WebhookDelivery.delivery_id)
                                 .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)))
    return left, attempts


def test_the_worker_prunes_finished_deliveries_past_the_retention_with_their_attempts(repo, engine, database_url):
    repo.commit("rules", {"spec/rules.md": "# Rules {#rules}\n\nSay it.\n"})
    _deliveries(engine, [("old-delivered", "delivered", 31), ("old-cancelled", "cancelled", 31),
                         ("old-failed", "failed", 31), ("old-pending", "pending", 400),
                         ("new-delivered", "delivered", 29), ("new-failed", "failed", 29)])
    worker = Worker(engine, Settings(database_url, repo.path, repo.path.parent / "instance"), interval=3600,
                    keep_deliveries=timedelta(days=30))
    outcomes = worker.turn()
    assert {"job": "prune", "ok": True, "deliveries": 3, "retention_days": 30} in outcomes
    expected = {"old-pending", "new-delivered", "new-failed"}
    assert _kept(engine) == (expected, expected)
    assert not [o for o in worker.turn() if o["job"] == "prune"]  # pruned hourly, not every turn


def test_by_default_finished_deliveries_are_kept_90_days(json_cli, repo, engine):
    repo.commit("rules", {"spec/rules.md": "# Rules {#rules}\n\nSay it.\n"})
    _deliveries(engine, [("day-91", "delivered", 91), ("day-89", "failed", 89)])
    code, out = json_cli("worker", "--once")
    assert code == 0
    assert [o for o in out["jobs"] if o["job"] == "prune"] == [
        {"job": "prune", "ok": True, "deliveries": 1, "retention_days": 90}]
    assert _kept(engine) == ({"day-89"}, {"day-89"})
