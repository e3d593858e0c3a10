"""The framework pages, the frameworks API, the clause page's items and the evidence report's framework section."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from evidence_helpers import read, same
from flask import Flask
from repo_builder import RepoBuilder
from sqlalchemy.pool import NullPool

from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.frameworks.coverage import framework_coverage
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve

RULES = """# Rules {#rules}

## Be honest {#be_honest authority=root}

Never lie.

## Respect privacy {#respect_privacy}

Keep secrets.

## Be brief {#be_brief}

Short.
"""
ACT = """[frameworks.demo-act]
title = "Demo <b>AI</b> Act"
items = { "art-9" = "Risk management", "art-14" = "Human <i>oversight</i>", "art-52" = "Transparency" }

[frameworks.rmf]
title = "Risk framework"
items = { "govern" = "Govern" }

[map]
"be_honest" = ["demo-act:art-52", "rmf:govern"]
"be_*" = ["demo-act:art-9"]
"""


@pytest.fixture(scope="module")
def app(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A spec without frameworks.toml at v1, with it at v2 (a direct push, so an unapproved change)."""
    repo = RepoBuilder(tmp_path_factory.mktemp("frameworks") / "spec")
    repo.commit("Rules", {"spec/rules.md": RULES}, tag="v1")
    repo.commit("Map the act", {"frameworks.toml": ACT}, tag="v2")
    url = databases.fresh()
    engine = make_engine(url, poolclass=NullPool)
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        ingest(session, source)
    engine.dispose()
    app = create_app({"TESTING": True}, settings=Settings(url, repo.path, tmp_path_factory.mktemp("instance")))
    yield app
    app.extensions["specreg.engine"].dispose()


def html(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def test_the_index_lists_each_framework_with_how_many_items_clauses_answer(client):
    page = html(client, "/frameworks")
    assert '<tr data-framework="demo-act">' in page and "2 of 3" in page and "1 of 1" in page
    assert "Demo &lt;b&gt;AI&lt;/b&gt; Act" in page and "<b>AI</b>" not in page
    assert 'href="/governance/frameworks.toml/propose"' in page


def test_before_any_frameworks_toml_the_index_says_so_and_offers_no_link_to_a_framework(client):
    page = html(client, "/frameworks?at=v1")
    assert 'id="no-frameworks"' in page and "data-framework" not in page


def test_a_framework_page_shows_each_item_with_its_clauses_and_the_uncovered_ones(client):
    page = html(client, "/frameworks/demo-act")
    row = page[page.index('data-item="art-9"'):page.index('data-item="art-14"')]
    assert 'href="/clauses/be_honest"' in row and 'href="/clauses/be_brief"' in row and "respect_privacy" not in row
    uncovered = page[page.index('data-item="art-14"'):page.index('data-item="art-52"')]
    assert 'class="uncovered"' in uncovered and "no clause answers it" in uncovered
    assert "Human &lt;i&gt;oversight&lt;/i&gt;" in uncovered
    assert page[page.index('id="uncovered-h"'):].count("<code>art-14</code>") == 1
    unmapped = page[page.index('id="unmapped-h"'):]
    assert "(2)" in unmapped and 'href="/clauses/rules"' in unmapped and 'href="/clauses/respect_privacy"' in unmapped


@pytest.mark.parametrize("path", ["/frameworks/nist", "/frameworks/demo-act?at=v1"])
def test_an_unknown_framework_is_a_404_page_naming_the_known_ones(client, path):
    page = html(client, path, 404)
    assert "known:" in page


def test_the_coverage_api_answers_what_the_command_line_prints(client, app):
    data = client.get("/api/v1/frameworks/demo-act/coverage").get_json()
    with app.app_context(), session_scope(app.extensions["specreg.engine"]) as session:
        assert data == framework_coverage(session, "demo-act", resolve(session, None)).as_dict()
    assert data["uncovered"] == ["art-14"] and data["unmapped_clauses"] == ["rules", "respect_privacy"]
    assert data["items"][0] == {"id": "art-9", "title": "Risk management", "clauses": ["be_honest", "be_brief"]}


def test_the_api_refuses_an_unknown_framework_with_a_404_naming_the_known_ones(client):
    response = client.get("/api/v1/frameworks/nist/coverage")
    assert response.status_code == 404
    assert response.get_json() == {"error": "unknown_framework",
                                   "message": "no framework 'nist' in frameworks.toml at main; known: demo-act, rmf"}
    assert client.get("/api/v1/frameworks/demo-act/coverage?at=v1").status_code == 404


def test_the_api_lists_the_frameworks_at_a_ref(client):
    data = client.get("/api/v1/frameworks").get_json()
    assert data["frameworks"] == [{"name": "demo-act", "title": "Demo <b>AI</b> Act", "items": 3, "covered": 2},
                                  {"name": "rmf", "title": "Risk framework", "items": 1, "covered": 1}]
    assert client.get("/api/v1/frameworks?at=v1").get_json()["frameworks"] == []


def test_a_clause_page_lists_the_items_the_clause_answers(client):
    section = html(client, "/clauses/be_honest")
    section = section[section.index('id="frameworks-h"'):]
    items = [s.split('"')[0] for s in section.split('data-item="')[1:]]
    assert items == ["demo-act:art-52", "rmf:govern", "demo-act:art-9"]
    assert 'href="/frameworks/demo-act"' in section
    none = html(client, "/clauses/respect_privacy")
    assert "This clause answers no framework item" in none[none.index('id="frameworks-h"'):]


def test_the_evidence_report_has_the_framework_coverage_in_every_format(client):
    facts = {fmt: read(fmt, client.get(f"/report/export?to=v2&format={fmt}").get_data(as_text=True))
             for fmt in ("html", "json", "csv")}
    assert same(facts["json"], facts["csv"]) == {} and same(facts["json"], facts["html"]) == {}
    assert facts["json"].frameworks == {"demo-act:art-9": ["be_honest", "be_brief"], "demo-act:art-14": [],
                                        "demo-act:art-52": ["be_honest"], "rmf:govern": ["be_honest"]}
    assert facts["json"].counts["uncovered_items"] == 1
    report = client.get("/api/v1/report?to=v1").get_json()
    assert report["frameworks"] == [] and report["counts"]["uncovered_items"] == 0


def test_the_openapi_document_describes_the_framework_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/frameworks/{name}/coverage" in paths and "/api/v1/frameworks" in paths
