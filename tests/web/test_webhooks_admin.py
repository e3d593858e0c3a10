"""The admin's webhooks page: the same use cases as `specreg webhook`, secrets shown once and never back."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from registry.audit.keys import current_key
from registry.db import make_engine, session_scope
from registry.models import Webhook
from registry.webhooks.sealing import unseal

CSRF = {"csrf_token": "csrf-token"}
SECRET = "a-shared-secret-of-some-length"


def _hooks(gov) -> list[Webhook]:
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        rows = list(s.scalars(select(Webhook).where(Webhook.removed_at.is_(None))))
    engine.dispose()
    return rows


def _secret(hook: Webhook) -> str:
    key = current_key(create=False)
    assert key is not None
    return unseal(key, hook.id, hook.sealed_secret)


def test_an_admin_adds_a_webhook_and_its_secret_is_never_shown_back(gov):
    browser = gov.browser("root")
    added = browser.post("/admin/webhooks", data={**CSRF, "url": "https://ci.example.org/hook",
                                                   "events": ["proposal.merged", "verify.failed"], "secret": SECRET})
    assert added.status_code == 303
    page = browser.get("/admin/webhooks").get_data(as_text=True)
    assert "https://ci.example.org/hook" in page and "proposal.merged, verify.failed" in page
    assert SECRET not in page
    [hook] = _hooks(gov)
    assert _secret(hook) == SECRET and hook.created_by == "root@example.org"


def test_a_made_secret_is_shown_once_on_the_answer_and_not_on_the_next_page(gov):
    browser = gov.browser("root")
    answer = browser.post("/admin/webhooks", data={**CSRF, "url": "https://ci.example.org/hook",
                                                    "events": ["clause.changed"]})
    [hook] = _hooks(gov)
    assert answer.status_code == 200 and _secret(hook) in answer.get_data(as_text=True)
    assert _secret(hook) not in browser.get("/admin/webhooks").get_data(as_text=True)


@pytest.mark.parametrize(("url", "events", "message"), [
    ("file:///etc/passwd", ["clause.changed"], "must start with http:// or https://"),
    ("https://example.org/", [], "name at least one event"),
    ("https://example.org/", ["clause.exploded"], "unknown event"),
])
def test_a_refused_webhook_shows_the_page_again_with_the_reason_and_what_was_typed(gov, url, events, message):
    page = gov.browser("root").post("/admin/webhooks", data={**CSRF, "url": url, "events": events,
                                                             "secret": SECRET})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and message in html and f'value="{url}"' in html
    assert SECRET not in html and _hooks(gov) == []


def test_an_admin_removes_a_webhook(gov):
    browser = gov.browser("root")
    browser.post("/admin/webhooks", data={**CSRF, "url": "https://ci.example.org/hook",
                                          "events": ["clause.changed"], "secret": SECRET})
    [hook] = _hooks(gov)
    assert browser.post(f"/admin/webhooks/{hook.id}/remove", data=CSRF).status_code == 303
    assert _hooks(gov) == []
    again = browser.post(f"/admin/webhooks/{hook.id}/remove", data=CSRF)
    assert again.status_code == 404 and "no webhook" in again.get_data(as_text=True)


@pytest.mark.parametrize(("who", "status"), [("ada", 403), ("vic", 403)])
def test_only_admins_reach_the_page_or_its_forms(gov, who, status):
    browser = gov.browser(who)
    assert browser.get("/admin/webhooks").status_code == status
    form = browser.post("/admin/webhooks", data={**CSRF, "url": "https://e.org/", "events": ["clause.changed"]})
    assert form.status_code == status and _hooks(gov) == []


def test_a_form_without_the_csrf_token_is_refused(gov):
    response = gov.browser("root").post("/admin/webhooks", data={"url": "https://e.org/", "events": ["clause.changed"]})
    assert response.status_code == 403 and _hooks(gov) == []


def test_the_page_lists_deliveries_with_their_attempts_and_filters_the_failing(gov, monkeypatch):
    from registry.webhooks import delivery

    monkeypatch.setenv("SPECREG_WEBHOOK_ALLOW_PRIVATE", "1")  # a closed port on loopback is the failing receiver
    browser = gov.browser("root")
    browser.post("/admin/webhooks", data={**CSRF, "url": "http://127.0.0.1:9/closed",
                                          "events": ["proposal.opened"], "secret": SECRET})
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        from registry.webhooks.outbox import emit

        emit(s, "proposal.opened", {"proposal": {"number": 1}})
    delivery.send_due(engine)
    engine.dispose()
    page = browser.get("/admin/webhooks?failed=1").get_data(as_text=True)
    assert "Failing deliveries" in page and "proposal.opened" in page and "pending" in page
    assert "next try" in page and "ms)" in page
