"""The worker runs verify on its interval and on request, and announces each distinct failure once."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from webhook_receiver import receiver

from registry.cli import main
from registry.config import Settings
from registry.db import session_scope
from registry.webhooks.subscriptions import add_webhook
from registry.worker.loop import Worker
from registry.worker.requests import pending

SECRET = "receiver-shared-secret-0123456789"
# A webhook row nobody added through the registry: verify names it (the worker keeps its audit key,
# which opens the real webhook's secret).
STRAY = ("INSERT INTO webhooks (url, events, sealed_secret, created_by, created_at) VALUES "
         "('https://stray.example.org/x', '[\"proposal.merged\"]', 'x', 'root@example.org', CURRENT_TIMESTAMP)")


@pytest.fixture
def world(committed_world, monkeypatch):
    """(engine, world): an adopted world committed to a database the CLI finds; receivers on loopback allowed."""
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    return committed_world


def _worker(engine, w, database_url, verify_interval: float) -> Worker:
    return Worker(engine, Settings(database_url, w.repo.path, w.repo.path.parent / "instance"), interval=3600,
                  verify_interval=verify_interval)


def _verified(outcomes: list[dict]) -> dict | None:
    found = [o for o in outcomes if o["job"] == "verify"]
    return found[0] if found else None


def _sql(engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement))


def _announced(hook) -> list[dict]:
    return [json.loads(r.body) for r in hook.received if json.loads(r.body)["event"] == "verify.failed"]


def test_the_worker_announces_a_verify_failure_once_and_again_only_after_it_was_fixed(world, database_url,
                                                                                       monkeypatch):
    engine, w = world
    with receiver() as hook:
        with session_scope(engine, write=True) as s:
            add_webhook(s, w.users["root"], hook.url, "verify.failed", SECRET)
        worker = _worker(engine, w, database_url, verify_interval=0)  # due on every turn
        assert _verified(worker.turn()) == {"job": "verify", "reason": "interval", "requested_by": [], "ok": True,
                                            "findings": [], "new": 0}
        _sql(engine, STRAY)
        first = _verified(worker.turn())
        assert first is not None and first["findings"] and first["new"] == len(first["findings"])
        second = _verified(worker.turn())
        assert second is not None and second["findings"] == first["findings"] and second["new"] == 0
        [failed] = _announced(hook)
        assert failed["data"]["findings"] == first["findings"] == failed["data"]["new"]
        _sql(engine, "DELETE FROM webhooks WHERE url = 'https://stray.example.org/x'")  # fixed: findings forgotten
        assert _verified(worker.turn())["findings"] == []
        _sql(engine, STRAY)  # broken again: news again
        assert _verified(worker.turn())["new"] == len(first["findings"])
        assert len(_announced(hook)) == 2


def test_verify_runs_once_per_interval_across_workers_and_at_once_when_requested(world, database_url, json_cli):
    engine, w = world
    first = _worker(engine, w, database_url, verify_interval=3600)
    assert _verified(first.turn())["ok"] is True
    assert _verified(first.turn()) is None  # not due again for an hour
    other = _worker(engine, w, database_url, verify_interval=3600)
    assert _verified(other.turn()) is None  # the schedule is the database's: another worker waits too
    code, out = json_cli("worker", "--request", "verify")
    assert code == 0 and out == {"requested": "verify"}
    ran = _verified(other.turn())
    assert ran is not None and ran["reason"] == "requested" and ran["requested_by"] == ["cli (specreg worker --request)"]
    with session_scope(engine) as s:
        assert pending(s) == []


def test_specreg_verify_counts_as_a_run_and_announces_a_standing_failure_once(world, monkeypatch):
    engine, w = world
    with receiver() as hook:
        with session_scope(engine, write=True) as s:
            add_webhook(s, w.users["root"], hook.url, "verify.failed", SECRET)
        _sql(engine, STRAY)
        assert main(["verify"]) == 1
        assert main(["verify"]) == 1
        assert main(["worker", "--once"]) == 0  # its verify is not due: specreg verify just ran
        assert len(_announced(hook)) == 1
