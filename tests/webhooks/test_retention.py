"""The worker prunes finished webhook deliveries and their attempts after the retention period; pending ones stay.
A removed webhook forgets its secret at once and goes with its last delivery; the audit trail keeps it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from registry.audit.events import by_subject
from registry.audit.keys import current_key
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from registry.webhooks import delivery
from registry.webhooks.outbox import emit
from registry.webhooks.provenance import check_webhooks
from registry.webhooks.retention import Pruned, prune
from registry.webhooks.subscriptions import add_webhook, remove_webhook
from registry.worker.loop import Worker

SECRET = "receiver-shared-secret-0123456789"


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
    assert {"job": "prune", "ok": True, "deliveries": 3, "webhooks": 0, "retention_days": 30} in outcomes
    expected = {"old-pending", "new-delivered", "new-failed"}
    assert _kept(engine) == (expected, expected)
    assert not [o for o in worker.turn() if o["job"] == "prune"]  # pruned hourly, not every turn


def test_by_default_finished_deliveries_are_kept_90_days(json_cli, repo, engine):
    repo.commit("rules", {"spec/rules.md": "# Rules {#rules}\n\nSay it.\n"})
    _deliveries(engine, [("day-91", "delivered", 91), ("day-89", "failed", 89)])
    code, out = json_cli("worker", "--once")
    assert code == 0
    assert [o for o in out["jobs"] if o["job"] == "prune"] == [
        {"job": "prune", "ok": True, "deliveries": 1, "webhooks": 0, "retention_days": 90}]
    assert _kept(engine) == ({"day-89"}, {"day-89"})


def _webhooks(engine) -> dict[int, Webhook]:
    with session_scope(engine) as s:
        return {h.id: h for h in s.scalars(select(Webhook))}


def _statuses(engine) -> dict[int, list[str]]:
    with session_scope(engine) as s:
        found: dict[int, list[str]] = {}
        for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)):
            found.setdefault(d.webhook_id, []).append(d.status)
        return found


def test_a_removed_webhook_forgets_its_secret_and_goes_with_its_last_delivery_while_the_audit_trail_keeps_it(
        committed_world, engine):
    root = committed_world[1].users["root"]
    with session_scope(engine, write=True) as s:
        gone = add_webhook(s, root, "https://gone.example.org/x", "proposal.merged", SECRET)[0].id
        kept = add_webhook(s, root, "https://kept.example.org/x", "proposal.merged", SECRET)[0].id
        emit(s, "proposal.merged", {"proposal": {"number": 1}})
        remove_webhook(s, root, gone)
    assert _webhooks(engine)[gone].sealed_secret == "" and _webhooks(engine)[kept].sealed_secret
    assert _statuses(engine) == {gone: ["cancelled"], kept: ["pending"]}
    with session_scope(engine, write=True) as s:  # removed within the retention: kept, for the deliveries list
        assert prune(s, utcnow() - timedelta(days=90)) == Pruned(0, 0)
    with session_scope(engine, write=True) as s:  # the retention has passed for both
        assert prune(s, utcnow() + timedelta(seconds=1)) == Pruned(1, 1)
    assert set(_webhooks(engine)) == {kept} and _statuses(engine) == {kept: ["pending"]}
    with session_scope(engine) as s:
        [added, removed] = by_subject(s, f"webhook:{gone}", ("webhook.add", "webhook.remove"))[f"webhook:{gone}"]
        assert (added.action, added.new["url"], removed.action) == ("webhook.add", "https://gone.example.org/x",
                                                                    "webhook.remove")
        assert check_webhooks(s, current_key(create=False)) == []  # a pruned removed webhook is no finding


def test_a_delivery_written_as_its_webhook_was_removed_is_never_sent_and_is_cancelled(committed_world, engine,
                                                                                        monkeypatch):
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")  # a closed port: were it sent, an attempt would fail
    root = committed_world[1].users["root"]
    with session_scope(engine, write=True) as s:
        gone = add_webhook(s, root, "http://127.0.0.1:9/never", "proposal.merged", SECRET)[0].id
        remove_webhook(s, root, gone)
        # What a change whose transaction read the webhook live before the removal committed writes after it.
        s.add(WebhookDelivery(delivery_id="straggler", webhook_id=gone, event="proposal.merged", body="{}",
                              status="pending", attempts=0, created_at=utcnow(), next_attempt_at=utcnow()))
    done = delivery.send_due(engine)
    assert (done.delivered, done.failed) == (0, []) and _statuses(engine) == {gone: ["pending"]}
    with session_scope(engine, write=True) as s:
        assert prune(s, utcnow() - timedelta(days=90)) == Pruned(0, 0)
    assert _statuses(engine) == {gone: ["cancelled"]}
