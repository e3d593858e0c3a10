"""Webhooks reach public addresses only, unless SPECREG_WEBHOOK_ALLOW_PRIVATE=1: checked when added and when sent."""
from __future__ import annotations

import time

import pytest
from proposal_helpers import adopted_world
from sqlalchemy import func, select
from webhook_receiver import hostile_receiver, receiver

from registry.audit.keys import current_key
from registry.db import session_scope
from registry.errors import BadRequest
from registry.models import Webhook, WebhookAttempt, utcnow
from registry.webhooks import delivery, destinations
from registry.webhooks.outbox import emit
from registry.webhooks.sealing import set_secret
from registry.webhooks.subscriptions import add_webhook

SECRET = "receiver-shared-secret-0123456789"
INSIDE = [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://LOCALHOST./hook", "http://api.localhost/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://192.168.1.1/", "http://172.16.0.1/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://127.1/", "http://0x7f.0.0.1/", "http://2130706433/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://[fd00::1]/",
    "http://[2002:7f00:1::]/", "https://user:pw@127.0.0.1/",
]


@pytest.fixture
def world(repo, database_url, monkeypatch):
    """(engine, world): an adopted world, with SPECREG_WEBHOOK_ALLOW_PRIVATE unset and no proxy settings."""
    for name in ("SPECREG_WEBHOOK_ALLOW_PRIVATE", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                 "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with adopted_world(repo, database_url, monkeypatch) as (engine, world):
        pass
    yield engine, world
    engine.dispose()


def _count(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(Webhook)) or 0


@pytest.mark.parametrize("url", INSIDE)
def test_a_webhook_to_a_loopback_private_or_metadata_address_is_refused_and_nothing_is_stored(world, url):
    engine, w = world
    with pytest.raises(BadRequest, match="may not point inside this network") as refused, \
            session_scope(engine, write=True) as s:
        add_webhook(s, w.users["root"], url, "proposal.merged", SECRET)
    assert "SPECREG_WEBHOOK_ALLOW_PRIVATE=1" in refused.value.message and "pw" not in refused.value.message
    assert _count(engine) == 0


@pytest.mark.parametrize("url", ["https://ci.example.org/hook", "https://93.184.216.34/hook",
                                 "https://[2606:4700::1111]/hook"])
def test_a_webhook_to_a_public_name_or_address_is_accepted(world, url):
    engine, w = world
    with session_scope(engine, write=True) as s:
        add_webhook(s, w.users["root"], url, "proposal.merged", SECRET)
    assert _count(engine) == 1


def test_the_setting_lets_an_admin_add_a_receiver_on_a_private_network(world, monkeypatch):
    engine, w = world
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    with session_scope(engine, write=True) as s:
        add_webhook(s, w.users["root"], "http://10.0.0.5:8080/hook", "proposal.merged", SECRET)
    assert _count(engine) == 1


def _sealed(s, row: Webhook) -> None:
    key = current_key(create=False)
    assert key is not None
    set_secret(s, key, row, SECRET)


def _forge(engine, url: str) -> None:
    """A webhook row written straight into the database (past add_webhook's check), and an event for it."""
    with session_scope(engine, write=True) as s:
        _sealed(s, Webhook(url=url, events=["verify.failed"], created_by="root@example.org", created_at=utcnow()))
        emit(s, "verify.failed", {"findings": []})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_worker_never_connects_to_a_loopback_receiver_a_forged_row_names(world, host):
    engine, _w = world
    with receiver() as hook:
        _forge(engine, hook.url.replace("127.0.0.1", host))
        done = delivery.send_due(engine)
        assert hook.received == []
    assert done.delivered == 0 and len(done.failed) == 1
    with session_scope(engine) as s:
        error = s.scalars(select(WebhookAttempt.error)).one()
    assert "private, loopback or link-local" in error and "SPECREG_WEBHOOK_ALLOW_PRIVATE" in error


def test_with_the_setting_the_worker_sends_to_the_receiver_itself_never_through_a_proxy_from_the_environment(
        world, monkeypatch):
    engine, _w = world
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    with receiver() as proxy, receiver() as hook:
        monkeypatch.setenv("http_proxy", proxy.url)
        _forge(engine, hook.url)
        done = delivery.send_due(engine)
        assert done.delivered == 1 and len(hook.received) == 1 and proxy.received == []


def _garbage(conn) -> None:
    conn.sendall(b"this is not HTTP\r\n\r\n")


def _huge_header(conn) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")


HUNG_UP: list[bool] = []


def _drip(conn) -> None:
    conn.sendall(b"HTTP/1.1 ")
    for _ in range(600):  # a status digit every 0.1 s, for a minute: never 10 s without a byte
        try:
            conn.sendall(b"2")
        except OSError:
            HUNG_UP.append(True)  # the sender gave up on it
            return
        time.sleep(0.1)


@pytest.mark.parametrize("answer", [_garbage, _huge_header, _drip], ids=["not-http", "huge-header", "drip"])
def test_a_hostile_receiver_gets_a_failed_attempt_and_the_other_webhooks_still_get_theirs(world, monkeypatch, answer):
    engine, _w = world
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setattr(destinations, "LIFETIME", 1.0)
    with hostile_receiver(answer) as bad, receiver() as good:
        _forge(engine, bad.url)  # the hostile one first: its delivery is sent first
        with session_scope(engine, write=True) as s:
            _sealed(s, Webhook(url=good.url, events=["proposal.merged"], created_by="root@example.org",
                               created_at=utcnow()))
            emit(s, "proposal.merged", {"proposal": {"number": 1}})
        done = delivery.send_due(engine)
        assert len(bad.received) == 1 and len(good.received) == 1
    assert done.delivered == 1 and len(done.failed) == 1
    with session_scope(engine) as s:
        attempts = s.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [None, 200] and attempts[0].error
    assert answer is not _drip or HUNG_UP  # the worker hung up on the drip before it ended
