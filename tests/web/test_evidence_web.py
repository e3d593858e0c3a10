"""The evidence report page, its downloads, the report and coverage API, and the prompts page."""
from __future__ import annotations

import json

import pytest
from evidence_helpers import read, same

from registry.audit.events import Finding
from registry.web.evidence import pages


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_report_page_offers_releases_and_a_range_before_anything_is_chosen(client):
    html = text_of(client.get("/report"))
    assert "<h1>Evidence report</h1>" in html and 'id="evidence-report"' not in html
    assert html.index("<option>v3.0</option>") < html.index("<option>v1.0</option>")
    assert 'name="from"' in html and 'name="to"' in html
    assert 'href="/report">Evidence</a>' in html  # in the site navigation


def test_a_chosen_release_shows_the_report_with_downloads_and_absolute_links(client, shas):
    html = text_of(client.get("/report?release=v2.0"))
    assert "Evidence report: release v2.0" in html and "<option selected>v2.0</option>" in html
    assert 'href="/report/export?format=json&amp;release=v2.0" download' in html
    assert 'href="/report/export?format=csv&amp;release=v2.0" download' in html
    assert 'href="/report/export?format=html&amp;release=v2.0"' in html
    assert 'href="http://localhost/clauses/respect_privacy"' in html  # printed with its target
    assert "@media print" in html  # the site's header and navigation are not printed
    facts = read("html", html)
    assert [c[:2] for c in facts.changes] == [(shas["reword"], "be_honest"), (shas["raise"], "respect_privacy"),
                                             (shas["rename"], "honesty")]


def test_a_range_is_chosen_with_from_and_to(client, shas):
    html = text_of(client.get("/report?from=v1.0&to=v2.0"))
    assert "Evidence report: v1.0 .. v2.0" in html and 'value="v1.0"' in html
    assert len(read("html", html).changes) == 3


@pytest.mark.parametrize("fmt, media, name", [
    ("json", "application/json", "evidence-v3.0.json"), ("csv", "text/csv", "evidence-v3.0.csv"),
])
def test_downloads_are_attachments_named_after_the_range(client, fmt, media, name):
    r = client.get(f"/report/export?release=v3.0&format={fmt}")
    assert r.status_code == 200 and r.mimetype == media
    assert r.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_the_printable_page_is_the_standalone_document(client):
    r = client.get("/report/export?release=v3.0&format=html")
    page = text_of(r)
    assert r.mimetype == "text/html" and "Content-Disposition" not in r.headers
    assert page.startswith("<!doctype html>") and "<nav" not in page and "<script" not in page
    assert 'href="http://localhost/clauses/' in page


def test_every_download_and_the_api_agree(client):
    facts = {fmt: read(fmt, text_of(client.get(f"/report/export?from=v1.0&format={fmt}")))
             for fmt in ("html", "json", "csv")}
    facts["api"] = read("json", json.dumps(client.get("/api/v1/report?from=v1.0").get_json()))
    for other in ("csv", "html", "api"):
        assert same(facts["json"], facts[other]) == {}, other
    assert len(facts["json"].changes) > 3 and facts["json"].findings == 0


def test_the_api_report_is_the_json_export(client, shas):
    data = client.get("/api/v1/report?release=v1.0").get_json()
    assert data["report"] == "evidence" and data["range"]["from"] is None
    assert data["range"]["to"] == {"ref": "v1.0", "commit": shas["start"], "date": data["range"]["to"]["date"]}
    assert {c["id"] for c in data["changes"]} == {"rules", "be_honest", "respect_privacy", "retention",
                                                  "spec.rules:rules.scope"}
    assert data["verify"] == {"ok": True, "findings": []}
    assert data["coverage"]["with_prompts"][0]["id"] == "be_honest"


def test_verify_findings_are_kept_at_most_five_minutes_as_a_sql_forgery_moves_no_head(client, monkeypatch):
    now, runs, found = [pages.VERIFY_TTL * 23_333], [], []  # the start of a window

    def fake_verify(session, repo):
        runs.append(now[0])
        return list(found)
    monkeypatch.setattr(pages, "clock", lambda: now[0])
    monkeypatch.setattr(pages, "verify", fake_verify)

    def findings(query: str) -> list[dict]:
        return client.get(f"/api/v1/report?{query}").get_json()["verify"]["findings"]
    assert findings("release=v1.0") == [] and findings("release=v2.0") == [] and len(runs) == 1
    found.append(Finding("search", "clause_versions.search_vector", "forged"))  # written with SQL: no head moves
    now[0] += pages.VERIFY_TTL - 1
    assert findings("release=v1.0") == [] and len(runs) == 1
    now[0] += 1
    assert [f["message"] for f in findings("release=v1.0")] == ["forged"] and len(runs) == 2
    assert [f["message"] for f in findings("release=v2.0")] == ["forged"] and len(runs) == 2


@pytest.mark.parametrize("url, status, error", [
    ("/api/v1/report?release=v9", 404, "unknown_ref"),
    ("/api/v1/report", 400, "bad_request"),
    ("/api/v1/report?from=v3.0&to=v1.0", 400, "bad_request"),
    ("/api/v1/report?release=v2.0&from=v1.0", 400, "bad_request"),
    ("/api/v1/coverage?at=nope", 404, "unknown_ref"),
])
def test_api_errors_are_json(client, url, status, error):
    r = client.get(url)
    assert r.status_code == status and r.get_json()["error"] == error


@pytest.mark.parametrize("url, status", [
    ("/report?release=v9", 404), ("/report/export?release=v3.0&format=pdf", 400), ("/report/export", 400),
])
def test_page_errors_are_pages_that_say_what_is_wrong(client, url, status):
    r = client.get(url)
    assert r.status_code == status and r.mimetype == "text/html"
    assert "v9" in text_of(r) or "format" in text_of(r) or "choose a release" in text_of(r)


def test_coverage_as_json_at_the_head_and_as_of_a_release(client, shas):
    now = client.get("/api/v1/coverage").get_json()
    assert now["at"] == {"ref": "main", "commit": shas["move"]}
    assert [(c["id"], [p["name"] for p in c["prompts"]]) for c in now["with_prompts"]] == [("honesty", ["ab12"])]
    assert now["covered"] == 1 and now["uncovered"] == now["clauses"] - 1
    assert {"id": "hostile", "title": "Hostile", "document": "spec/rules.md"} in now["without_prompts"]
    old = client.get("/api/v1/coverage?at=v1.0").get_json()
    assert old["at"]["ref"] == "v1.0" and old["with_prompts"][0]["id"] == "be_honest"


def test_the_prompts_page_gives_the_share_and_links_its_json(client):
    html = text_of(client.get("/prompts"))
    assert '<span id="coverage-share">' in html and 'href="/api/v1/coverage"' in html
    assert 'href="/api/v1/coverage?at=v1.0"' in text_of(client.get("/prompts?at=v1.0"))
