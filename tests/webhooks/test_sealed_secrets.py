"""Webhook secrets are sealed under the audit key: no dump of the database shows them, only that key opens them."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from webhook_receiver import receiver

from registry.audit.keys import AuditKey, current_key
from registry.db import make_engine, session_scope
from registry.errors import ConfigError
from registry.models import Webhook, WebhookAttempt
from registry.schema import _config, head_revision, upgrade
from registry.webhooks import delivery
from registry.webhooks.outbox import emit
from registry.webhooks.sealing import SecretUnreadable, seal, unseal
from registry.webhooks.subscriptions import add_webhook

SECRET = "receiver-shared-secret-0123456789"
OTHER_KEY = AuditKey(b"another-audit-key-0123456789abcdef0123456789", "test")


def _key() -> AuditKey:
    key = current_key(create=False)
    assert key is not None
    return key


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def root(committed_world):
    """The admin of an adopted world committed to the test's database."""
    return committed_world[1].users["root"]


def _dump(engine) -> str:
    """Every row of every table as text: what a database dump or a backup archive holds."""
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(repr(row) for table in meta.sorted_tables for row in conn.execute(table.select()))


def test_a_webhook_secret_is_in_no_row_of_the_database_and_opens_under_the_audit_key(engine, root):
    with session_scope(engine, write=True) as s:
        given = add_webhook(s, root, "https://ci.example.org/hook", "proposal.merged", SECRET)[0]
        made_view, made = add_webhook(s, root, "https://ci.example.org/other", "proposal.merged")
    dump = _dump(engine)
    assert made is not None and "https://ci.example.org/hook" in dump  # the dump does read the webhooks
    assert SECRET not in dump and made not in dump
    assert SECRET.encode().hex() not in dump and made.encode().hex() not in dump
    with session_scope(engine) as s:
        hooks = {h.id: h for h in s.scalars(select(Webhook))}
    assert unseal(_key(), given.id, hooks[given.id].sealed_secret) == SECRET
    assert unseal(_key(), made_view.id, hooks[made_view.id].sealed_secret) == made


def test_the_same_secret_sealed_twice_reads_differently():
    assert seal(_key(), 1, SECRET) != seal(_key(), 1, SECRET)


@pytest.mark.parametrize("how", ["another-key", "another-webhook", "a-byte-changed", "cut-short", "not-sealed",
                                 "another-version"])
def test_a_sealed_secret_does_not_open_under_another_key_for_another_webhook_or_edited(how):
    sealed = seal(_key(), 7, SECRET)
    version, packed = sealed.split(":")
    key, webhook, text = {
        "another-key": (OTHER_KEY, 7, sealed),
        "another-webhook": (_key(), 8, sealed),
        "a-byte-changed": (_key(), 7, f"{version}:{packed[:30]}{'A' if packed[30] != 'A' else 'B'}{packed[31:]}"),
        "cut-short": (_key(), 7, sealed[:20]),
        "not-sealed": (_key(), 7, SECRET),
        "another-version": (_key(), 7, f"v2:{packed}"),
    }[how]
    with pytest.raises(SecretUnreadable, match=f"webhook {webhook}'s secret does not open under the audit key"):
        unseal(key, webhook, text)


def test_a_worker_with_another_audit_key_sends_nothing_and_its_attempt_says_why(engine, root, monkeypatch):
    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
    with receiver() as hook:
        with session_scope(engine, write=True) as s:
            add_webhook(s, root, hook.url, "proposal.merged", SECRET)
            emit(s, "proposal.merged", {"proposal": {"number": 1}})
        monkeypatch.setenv("SPECREG_AUDIT_KEY", OTHER_KEY.secret.decode())
        done = delivery.send_due(engine)
        assert hook.received == []
        monkeypatch.undo()
        monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")
        with session_scope(engine) as s:
            [attempt] = s.scalars(select(WebhookAttempt)).all()
        assert done.delivered == 0 and len(done.failed) == 1
        assert attempt.status_code is None and "does not open under the audit key" in (attempt.error or "")
        assert delivery.send_due(engine, delivery.utcnow() + delivery.backoff(1)).delivered == 1  # its key: sent
    [r] = hook.received
    assert r.headers["X-Specreg-Signature-256"] == "sha256=" + hmac.new(SECRET.encode(), r.body,
                                                                         hashlib.sha256).hexdigest()


def _at_0025_with_a_plaintext_webhook(engine) -> int:
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0025")
    old = sa.table("webhooks", sa.column("events", sa.JSON()),
                   *(sa.column(c) for c in ("url", "secret", "created_by", "created_at")))
    with Session(engine) as s, s.begin():  # a table of 0025's columns only (the model has grown since)
        s.execute(sa.insert(old).values(url="https://ci.example.org/hook", events=["proposal.merged"],
                                        secret=SECRET, created_by="root@example.org", created_at=datetime(2026, 1, 1)))
        return int(s.scalar(sa.text("SELECT max(id) FROM webhooks")))


def test_migration_0026_seals_an_existing_plaintext_secret_and_downgrading_opens_it(engine):
    webhook = _at_0025_with_a_plaintext_webhook(engine)
    assert SECRET in _dump(engine)
    assert upgrade(engine) == ("0025", head_revision())
    assert SECRET not in _dump(engine)
    with Session(engine) as s:
        assert unseal(_key(), webhook, s.scalars(select(Webhook.sealed_secret)).one()) == SECRET
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0025")
        assert conn.execute(sa.text("SELECT secret FROM webhooks")).scalar() == SECRET
    upgrade(engine)


def test_migration_0026_without_an_audit_key_stops_and_changes_nothing(engine, monkeypatch, tmp_path):
    _at_0025_with_a_plaintext_webhook(engine)
    monkeypatch.delenv("SPECREG_AUDIT_KEY")
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "no-key-here"))
    with pytest.raises(ConfigError, match="sealed under the audit key, and there is none here"):
        upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT secret FROM webhooks")).scalar() == SECRET
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0025"
    assert not (tmp_path / "no-key-here" / "audit_key").exists()
