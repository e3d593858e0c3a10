"""Webhook deliveries: written with the change, sent by the worker to a real receiver, retried, never re-identified."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sys
from datetime import timedelta

import pytest
from proposal_helpers import HEADINGS, RULES
from sqlalchemy import func, select
from webhook_receiver import receiver

from registry.cli import main
from registry.db import session_scope
from registry.models import WebhookDelivery, utcnow
from registry.proposals import reviews
from registry.proposals.merge import merge
from registry.webhooks import delivery
from registry.webhooks.subscriptions import add_webhook, remove_webhook

SECRET = "receiver-shared-secret-0123456789"
PROPOSAL_EVENTS = "proposal.opened,proposal.revised,proposal.approved,proposal.merged,proposal.rejected"


@pytest.fixture
def world(committed_world, monkeypatch):
    """(engine, world): an adopted world committed to a database the CLI finds; receivers on loopback allowed."""
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    return committed_world


def _subscribe(engine, world, url: str, events: str) -> int:
    with session_scope(engine, write=True) as s:
        view, _made = add_webhook(s, world.users["root"], url, events, SECRET)
    return view.id


def _bodies(hook) -> list[dict]:
    return [json.loads(r.body) for r in hook.received]


def test_a_proposal_opened_approved_and_merged_reaches_the_receiver_signed_with_one_id_each(world):
    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, PROPOSAL_EVENTS)
        with session_scope(engine, write=True) as s:
            w.session = s
            n = w.change("ada", "be_brief", "Prefer very short answers.")
            reviews.approve(s, w.users["alan"], n)
            merge(s, w.path, "main", w.users["ada"], n)
        assert hook.received == []  # nothing is sent from the request: the worker sends
        assert main(["worker", "--once"]) == 0
        events = [b["event"] for b in _bodies(hook)]
        assert events == ["proposal.opened", "proposal.approved", "proposal.merged"]
        for r, b in zip(hook.received, _bodies(hook)):
            assert set(b) == {"event", "id", "time", "data"}
            assert r.headers["X-Specreg-Event"] == b["event"]
            assert r.headers["X-Specreg-Signature-256"] == "sha256=" + hmac.new(
                SECRET.encode(), r.body, hashlib.sha256).hexdigest()
            assert b["data"]["proposal"]["number"] == n and b["data"]["proposal"]["path"] == f"/proposals/{n}"
        assert len({r.headers["X-Specreg-Delivery"] for r in hook.received}) == 3
        assert _bodies(hook)[2]["data"]["proposal"]["merged_commit"] == w.repo.head()
        assert main(["worker", "--once"]) == 0
        assert len(hook.received) == 3  # delivered once


def test_a_change_that_rolls_back_leaves_no_delivery(world):
    engine, w = world
    _subscribe(engine, w, "http://127.0.0.1:9/never", PROPOSAL_EVENTS)
    with pytest.raises(RuntimeError), session_scope(engine, write=True) as s:
        w.session = s
        w.change("ada", "be_brief", "Prefer very short answers.")
        raise RuntimeError("the request failed after the proposal was written")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_a_draft_is_not_opened_until_it_is_submitted_and_a_rejection_is_announced(world):
    from registry.proposals.authoring import ChangeInput, reject, submit

    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, PROPOSAL_EVENTS)
        with session_scope(engine, write=True) as s:
            w.session = s
            n = w.propose("ada", [ChangeInput("change", "be_brief", f"{HEADINGS['be_brief']}\n\nShort.\n")], draft=True)
            submit(s, w.users["ada"], n)
            reject(s, w.users["root"], n, "Not now.")
        assert main(["worker", "--once"]) == 0
    assert [b["event"] for b in _bodies(hook)] == ["proposal.opened", "proposal.rejected"]


def test_a_receiver_that_fails_then_recovers_gets_the_same_delivery_again_with_its_attempts_listed(world, capsys):
    engine, w = world
    with receiver() as hook:
        hook.answers = [500]
        _subscribe(engine, w, hook.url, "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        first = delivery.send_due(engine)
        assert first.delivered == 0 and len(first.failed) == 1
        assert delivery.send_due(engine).failed == []  # not due again before its backoff
        capsys.readouterr()
        assert main(["webhook", "deliveries", "--failed", "--json"]) == 0
        [failing] = json.loads(capsys.readouterr().out)
        assert failing["status"] == "pending" and [a["status_code"] for a in failing["attempts"]] == [500]
        assert delivery.send_due(engine, utcnow() + delivery.backoff(1) + timedelta(seconds=1)).delivered == 1
    assert len(hook.received) == 2
    assert hook.received[0].body == hook.received[1].body
    assert hook.received[0].headers["X-Specreg-Delivery"] == hook.received[1].headers["X-Specreg-Delivery"]
    assert main(["webhook", "deliveries", "--json"]) == 0
    [done] = json.loads(capsys.readouterr().out)
    assert done["status"] == "delivered" and [a["status_code"] for a in done["attempts"]] == [500, 200]
    assert main(["webhook", "deliveries", "--failed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_worker_that_crashed_mid_send_sends_again_under_the_same_id_after_the_lease(world):
    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        with session_scope(engine, write=True) as s:  # a worker claimed it, then died before sending
            row = s.scalars(select(WebhookDelivery)).one()
            assert delivery._claim(s, row, utcnow())
        assert delivery.send_due(engine).delivered == 0  # leased: nobody else takes it
        assert delivery.send_due(engine, utcnow() + delivery.LEASE + timedelta(seconds=1)).delivered == 1
        assert hook.received[0].headers["X-Specreg-Delivery"] == row.delivery_id


def test_after_the_last_attempt_a_delivery_has_failed_for_good(world, monkeypatch):
    engine, w = world
    monkeypatch.setattr(delivery, "MAX_ATTEMPTS", 2)
    with receiver() as hook:
        hook.answers = [503, 503, 503]
        _subscribe(engine, w, hook.url, "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        later = utcnow()
        for _ in range(3):
            delivery.send_due(engine, later)
            later += delivery.LONGEST_WAIT
    assert len(hook.received) == 2
    with session_scope(engine) as s:
        [view] = delivery.deliveries(s, failed=True)
    assert view.status == "failed" and [a.status_code for a in view.attempts] == [503, 503]


def test_an_unreachable_receiver_or_a_redirect_is_a_failed_attempt_with_the_reason(world):
    engine, w = world
    with receiver() as hook:
        hook.answers = [302]
        _subscribe(engine, w, hook.url, "proposal.opened")
        _subscribe(engine, w, "http://127.0.0.1:9/closed", "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        done = delivery.send_due(engine)
    assert done.delivered == 0 and len(done.failed) == 2 and len(hook.received) == 1
    with session_scope(engine) as s:
        views = delivery.deliveries(s, failed=True)
    reasons = sorted(v.attempts[0].status_code or 0 for v in views)
    assert reasons == [0, 302] and all(v.attempts[0].error for v in views)


def test_removing_a_webhook_cancels_its_unsent_deliveries(world):
    engine, w = world
    with receiver() as hook:
        hook_id = _subscribe(engine, w, hook.url, "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
            remove_webhook(s, w.users["root"], hook_id)
        assert delivery.send_due(engine).delivered == 0
    assert hook.received == []
    with session_scope(engine) as s:
        assert [v.status for v in delivery.deliveries(s)] == ["cancelled"]


def test_an_ingest_announces_changed_clauses_and_unapproved_changes(world):
    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "clause.changed,unapproved.detected")
        sha = w.repo.commit("Direct edit", {"spec/rules.md": RULES.replace("Prefer short answers.",
                                                                           "Prefer shorter answers.")})
        assert main(["worker", "--once"]) == 0
    changed, unapproved = _bodies(hook)
    assert changed["event"] == "clause.changed" and changed["data"]["commit"] == sha
    assert [(c["id"], c["changes"]) for c in changed["data"]["clauses"]] == [("be_brief", ["body"])]
    assert unapproved["event"] == "unapproved.detected" and unapproved["data"]["commit"] == sha
    assert unapproved["data"]["clauses"] == ["be_brief"]


def test_a_merged_proposal_is_not_announced_as_unapproved(world):
    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "unapproved.detected")
        with session_scope(engine, write=True) as s:
            w.session = s
            n = w.change("ada", "be_brief", "Prefer very short answers.")
            reviews.approve(s, w.users["alan"], n)
            merge(s, w.path, "main", w.users["ada"], n)
        assert main(["worker", "--once"]) == 0
    assert hook.received == []


def test_a_rewritten_history_is_announced(world):
    engine, w = world
    first = w.repo.head()
    w.repo.commit("Direct edit", {"spec/style.md": "# Style {#style}\n\nWrite plainly.\n"})
    assert main(["ingest"]) == 0
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "history.rewritten")
        w.repo.reset(first)
        w.repo.commit("Another edit", {"spec/style.md": "# Style {#style}\n\nWrite simply.\n"})
        assert main(["worker", "--once"]) == 0
    [rewritten] = _bodies(hook)
    assert rewritten["event"] == "history.rewritten" and rewritten["data"]["fork"] == first
    assert rewritten["data"]["new_head"] == w.repo.head()


def test_a_failed_verify_is_announced(world, monkeypatch):
    engine, w = world
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "verify.failed")
        key = os.environ["SPECREG_AUDIT_KEY"]
        monkeypatch.setenv("SPECREG_AUDIT_KEY", "another-key-than-the-one-that-signed-0123456789abcdef")
        assert main(["verify"]) == 1
        monkeypatch.setenv("SPECREG_AUDIT_KEY", key)  # the worker's key: the one that sealed the webhook's secret
        assert main(["worker", "--once"]) == 0
    [failed] = _bodies(hook)
    assert failed["event"] == "verify.failed" and failed["data"]["findings"]


def test_webhook_add_reads_its_secret_from_stdin_and_the_worker_signs_with_it(world, monkeypatch, capsys):
    engine, w = world
    with receiver() as hook:
        monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
        assert main(["webhook", "add", hook.url, "--events", "proposal.opened", "--secret-stdin",
                     "--as", "root@example.org"]) == 0
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        capsys.readouterr()
        assert main(["worker", "--once", "--json"]) == 0
        jobs = json.loads(capsys.readouterr().out)["jobs"]
        assert [j["job"] for j in jobs] == ["sync", "verify", "deliveries"]
        assert jobs[2] == {"job": "deliveries", "ok": True, "delivered": 1, "failed": []}
    [r] = hook.received
    assert r.headers["X-Specreg-Signature-256"] == "sha256=" + hmac.new(SECRET.encode(), r.body,
                                                                         hashlib.sha256).hexdigest()


def test_a_turn_stops_starting_posts_after_its_budget_and_the_next_turn_sends_the_rest(world, monkeypatch):
    engine, w = world
    monkeypatch.setattr(delivery, "BUDGET", 0.0)
    with receiver() as hook:
        _subscribe(engine, w, hook.url, "proposal.opened")
        _subscribe(engine, w, hook.url, "proposal.opened")
        with session_scope(engine, write=True) as s:
            w.session = s
            w.change("ada", "be_brief", "Prefer very short answers.")
        assert delivery.send_due(engine).delivered == 1
        assert delivery.send_due(engine).delivered == 1
        assert delivery.send_due(engine).delivered == 0
    assert len({r.headers["X-Specreg-Delivery"] for r in hook.received}) == 2


def test_two_workers_sending_at_once_send_each_delivery_once(world):
    import threading

    engine, w = world
    with receiver() as hook:
        for _ in range(3):
            _subscribe(engine, w, hook.url, "proposal.opened,proposal.approved")
        with session_scope(engine, write=True) as s:
            w.session = s
            n = w.change("ada", "be_brief", "Prefer very short answers.")
            reviews.approve(s, w.users["alan"], n)
        rounds: list[delivery.Round] = []
        senders = [threading.Thread(target=lambda: rounds.append(delivery.send_due(engine))) for _ in range(2)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(120)
    ids = [r.headers["X-Specreg-Delivery"] for r in hook.received]
    assert len(ids) == len(set(ids)) == 6 == sum(r.delivered for r in rounds)
