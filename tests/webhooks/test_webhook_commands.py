"""specreg webhook add/list/remove: admins only, http(s) URLs only, known events only, secrets never shown back."""
from __future__ import annotations

import io
import sys

import pytest
from proposal_helpers import adopted_world

from registry.audit.events import by_subject


@pytest.fixture
def admin_cli(json_cli, repo, database_url, monkeypatch):
    """json_cli on a world with accounts (root@ is the admin, ada@ an editor)."""
    with adopted_world(repo, database_url, monkeypatch) as (engine, _world):
        pass
    engine.dispose()
    return json_cli


def test_an_admin_adds_a_webhook_and_gets_a_made_secret_once(admin_cli):
    code, out = admin_cli("webhook", "add", "https://ci.example.org/specreg", "--events",
                          "proposal.merged,clause.changed", "--as", "root@example.org")
    assert code == 0 and out["id"] == 1 and out["events"] == ["proposal.merged", "clause.changed"]
    assert len(out["secret"]) >= 32
    code, listed = admin_cli("webhook", "list")
    assert code == 0 and listed == [{"id": 1, "url": "https://ci.example.org/specreg",
                                     "events": ["proposal.merged", "clause.changed"],
                                     "created_by": "root@example.org", "created_at": listed[0]["created_at"]}]
    assert out["secret"] not in str(listed)


def test_a_secret_from_stdin_is_kept_and_never_printed(admin_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-enough-shared-secret\n"))
    code, out = admin_cli("webhook", "add", "https://ci.example.org/x", "--events", "verify.failed", "--secret-stdin",
                          "--as", "root@example.org")
    assert code == 0 and "secret" not in out


@pytest.mark.parametrize(("url", "events", "message"), [
    ("file:///etc/passwd", "clause.changed", "http:// or https://"),
    ("ftp://example.org/x", "clause.changed", "http:// or https://"),
    ("javascript:alert(1)", "clause.changed", "http:// or https://"),
    ("https://", "clause.changed", "needs a host"),
    ("https://example.org/a b", "clause.changed", "needs a host"),
    ("https://ci:hunter2-token@ci.example.org/x", "clause.changed", "may not carry a user or password"),
    ("https://hunter2-token@ci.example.org/x", "clause.changed", "may not carry a user or password"),
    ("https://example.org/", "clause.deleted", "unknown event 'clause.deleted'"),
    ("https://example.org/", " , ", "at least one event"),
])
def test_a_bad_url_or_event_is_refused_naming_what_is_wrong(admin_cli, url, events, message):
    code, out = admin_cli("webhook", "add", url, "--events", events, "--as", "root@example.org")
    assert code == 1 and message in out["message"] and "hunter2" not in out["message"]
    assert admin_cli("webhook", "list") == (0, [])


def test_a_short_secret_is_refused(admin_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, out = admin_cli("webhook", "add", "https://example.org/", "--events", "clause.changed", "--secret-stdin",
                          "--as", "root@example.org")
    assert code == 1 and "at least 16 characters" in out["message"]


@pytest.mark.parametrize(("who", "error"), [(None, "unauthorized"), ("ada@example.org", "forbidden")])
def test_only_an_admin_adds_or_removes_webhooks(admin_cli, who, error):
    as_ = ["--as", who] if who else []
    code, out = admin_cli("webhook", "add", "https://example.org/", "--events", "clause.changed", *as_)
    assert code == 1 and out["error"] == error
    admin_cli("webhook", "add", "https://example.org/", "--events", "clause.changed", "--as", "root@example.org")
    code, out = admin_cli("webhook", "remove", "1", *as_)
    assert code == 1 and out["error"] == error
    assert len(admin_cli("webhook", "list")[1]) == 1


def test_removing_a_webhook_is_audited_and_a_second_removal_is_a_404(admin_cli, database_url):
    from registry.db import make_engine, session_scope

    admin_cli("webhook", "add", "https://example.org/", "--events", "clause.changed", "--as", "root@example.org")
    code, out = admin_cli("webhook", "remove", "1", "--as", "root@example.org")
    assert code == 0 and out["removed"] is True
    assert admin_cli("webhook", "list") == (0, [])
    code, out = admin_cli("webhook", "remove", "1", "--as", "root@example.org")
    assert code == 1 and out["error"] == "not_found"
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        actions = [e.action for e in by_subject(s, "webhook:", ("webhook.add", "webhook.remove"))["webhook:1"]]
    engine.dispose()
    assert actions == ["webhook.add", "webhook.remove"]
