"""The evidence report on the web: built once per ledger and audit state, and bounded for anonymous readers."""
from __future__ import annotations

import pytest

from registry import limits
from registry.web.evidence import pages

CSRF = {"csrf_token": "csrf-token"}


@pytest.fixture
def builds(shared_gov, monkeypatch) -> list[tuple]:
    """The report builds the web asks for (each (release, from, to)), on an emptied cache."""
    if "specreg.report_cache" in shared_gov.app.extensions:
        shared_gov.app.extensions["specreg.report_cache"].clear()
    calls: list[tuple] = []
    real = pages.evidence_report

    def counting(session, release=None, from_ref=None, to_ref=None, repo=None, **kw):
        calls.append((release, from_ref, to_ref))
        return real(session, release, from_ref, to_ref, repo, **kw)

    monkeypatch.setattr(pages, "evidence_report", counting)
    return calls


def test_the_same_range_is_built_once_for_the_page_the_api_and_every_download(shared_gov, builds):
    client = shared_gov.app.test_client()
    first = client.get("/report?to=HEAD").get_data(as_text=True)
    assert client.get("/report?to=HEAD").get_data(as_text=True) == first
    assert client.get("/api/v1/report?to=HEAD").status_code == 200
    for fmt in ("json", "csv", "html"):
        assert client.get(f"/report/export?format={fmt}&to=HEAD").status_code == 200
    assert builds == [(None, None, "HEAD")]


def test_a_recorded_change_makes_the_next_report_a_new_one(shared_gov, builds):
    client = shared_gov.app.test_client()
    before = client.get("/api/v1/report?to=HEAD").get_json()["audit_head"]
    shared_gov.propose()  # audit events: the report's audit head (and what verify checks) moved
    after = client.get("/api/v1/report?to=HEAD").get_json()["audit_head"]
    assert after["seq"] > before["seq"]
    assert builds == [(None, None, "HEAD")] * 2


def test_another_range_is_another_report(shared_gov, builds):
    client = shared_gov.app.test_client()
    client.get("/api/v1/report?to=HEAD")
    client.get("/api/v1/report?to=HEAD&from=HEAD")
    assert builds == [(None, None, "HEAD"), (None, "HEAD", "HEAD")]


def test_verify_runs_once_per_ledger_and_audit_head_whatever_ranges_readers_ask_for(shared_gov, builds, monkeypatch):
    """Every check reads the whole database (and the spec repo): a reader varying the range must not rerun them."""
    runs: list[int] = []
    real = pages.verify
    monkeypatch.setattr(pages, "verify", lambda *a, **kw: runs.append(1) or real(*a, **kw))
    client = shared_gov.app.test_client()
    first = client.get("/api/v1/report?to=HEAD").get_json()
    second = client.get("/api/v1/report?to=HEAD&from=HEAD").get_json()
    assert client.get(f"/report?to={first['repo']['head'][:12]}").status_code == 200  # a sha prefix
    assert len(builds) == 3 and len(runs) == 1
    assert first["verify"] == second["verify"]
    shared_gov.propose()  # a new audit event: what verify checks changed
    client.get("/api/v1/report?to=HEAD")
    assert len(runs) == 2


def test_a_range_over_the_anonymous_limit_needs_a_login_and_builds_nothing(shared_gov, builds, monkeypatch):
    monkeypatch.setattr(limits, "ANONYMOUS_REPORT_COMMITS", 0)
    response = shared_gov.app.test_client().get("/api/v1/report?to=HEAD")
    assert response.status_code == 401 and response.get_json()["message"].startswith(
        "log in to build a report over more than 0 commits (this range has ")
    browser = shared_gov.browser(None)
    page = browser.get("/report?to=HEAD")
    assert page.status_code == 303 and page.headers["Location"] == "/login?next=/report?to%3DHEAD"
    assert "Log in to build a report" in browser.get(page.headers["Location"]).get_data(as_text=True)
    assert builds == []
    logged_in = shared_gov.app.test_client().get("/api/v1/report?to=HEAD", headers=shared_gov.api("vic"))
    assert logged_in.status_code == 200 and shared_gov.browser("vic").get("/report?to=HEAD").status_code == 200
    assert builds == [(None, None, "HEAD")]
