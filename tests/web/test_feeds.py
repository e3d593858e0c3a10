"""Atom feeds: valid Atom 1.0 (parsed by feedparser and checked with ElementTree), stable entry ids,
former ids, escaping, 404s, conditional requests, and the pages that link them."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from proposal_web import Gov
from repo_builder import RepoBuilder
from spec_fixture import build_spec
from sqlalchemy.pool import NullPool
from test_review_queue import post

from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.history.feeds import spec_feed
from registry.ledger.ingest import ingest

A = "{http://www.w3.org/2005/Atom}"
HTML_TITLE = "<b>Bold</b> & <i>co</i>"
FEEDS = ["/feeds/spec.atom", "/feeds/clauses/honesty.atom", "/feeds/clauses/be_honest.atom",
         "/feeds/documents/spec/rules.md.atom", "/feeds/documents/spec/data.md.atom", "/feeds/proposals.atom"]


def ingested(url: str, repo: Path) -> None:
    """Ingest what is new on the branch into the database at url."""
    engine = make_engine(url, poolclass=NullPool)
    with SpecSource(repo) as source, session_scope(engine, write=True) as session:
        ingest(session, source)
    engine.dispose()


def app_on(url: str, repo: Path, instance: Path) -> Flask:
    """A web app over the database at url."""
    return create_app({"TESTING": True}, settings=Settings(url, repo, instance))


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, RepoBuilder, object]]:
    """(app, repo, databases): the test spec plus a clause with HTML in its title and a control character
    in a commit message, ingested."""
    root = tmp_path_factory.mktemp("feeds")
    repo = RepoBuilder(root / "spec")
    build_spec(repo)
    repo.commit("Add styled\x1b[31m title", {"spec/style.md": f"# {HTML_TITLE} {{#styled}}\n\nPlain text.\n"})
    url = databases.fresh()
    ingested(url, repo.path)
    app = app_on(url, repo.path, root / "instance")
    yield app, repo, databases
    app.extensions["specreg.engine"].dispose()


def fetch(app: Flask, url: str) -> tuple[bytes, ET.Element]:
    """The feed's bytes and its parsed root, after checking the response is a 200 Atom document."""
    response = app.test_client().get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return response.data, ET.fromstring(response.data)


def entry_ids(root: ET.Element) -> list[str]:
    """The ids of the feed's entries, in order."""
    return [e.findtext(f"{A}id") for e in root.iter(f"{A}entry")]


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_is_atom_1_0_that_a_real_parser_reads_with_its_required_elements(world, url):
    app = world[0]
    body, root = fetch(app, url)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert root.tag == f"{A}feed"
    for element in (root, *root.iter(f"{A}entry")):
        for required in ("id", "title", "updated"):
            assert (element.findtext(f"{A}{required}") or "").strip(), (url, required)
    assert root.find(f"{A}link[@rel='self']").get("href") == "http://localhost" + url
    ids = entry_ids(root)
    assert len(ids) == len(set(ids)) == len(parsed.entries)
    for entry in parsed.entries:
        assert entry.link.startswith("http://localhost/") and entry.author


def test_entry_ids_are_the_same_on_a_second_request_and_after_ingesting_again_into_a_new_database(world, tmp_path):
    app, repo, databases = world
    first = {url: fetch(app, url)[1] for url in FEEDS[:5]}
    assert {url: entry_ids(fetch(app, url)[1]) for url in first} == {url: entry_ids(r) for url, r in first.items()}
    url = databases.fresh()
    ingested(url, repo.path)
    again = app_on(url, repo.path, tmp_path / "instance")
    try:
        for feed, root in first.items():
            other = fetch(again, feed)[1]
            assert entry_ids(other) == entry_ids(root) and entry_ids(root), feed
            assert other.findtext(f"{A}id") == root.findtext(f"{A}id"), feed
    finally:
        again.extensions["specreg.engine"].dispose()


def test_the_spec_feed_lists_every_clause_change_newest_first_linked_to_its_diff(world):
    app, repo, _ = world
    parsed = feedparser.parse(fetch(app, "/feeds/spec.atom")[0])
    assert parsed.feed.title == "Clause changes" and parsed.feed.link == "http://localhost/"
    times = [e.updated for e in parsed.entries]
    assert times == sorted(times, reverse=True)
    newest = parsed.entries[0]
    assert newest.link == f"http://localhost/clauses/styled/diff?to={repo.head()}"
    assert newest.id == f"urn:specreg:change:{repo.head()}:styled"


def test_the_spec_feed_keeps_to_its_limit(world):
    engine = make_engine(world[0].config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as session:
        feed = spec_feed(session, limit=3)
    engine.dispose()
    assert len(feed.entries) == 3 and feed.entries[0].id.endswith(":styled")


def test_a_renamed_clauses_feed_includes_its_versions_under_the_former_id_and_is_one_feed_under_both_ids(world):
    app = world[0]
    _, now = fetch(app, "/feeds/clauses/honesty.atom")
    _, before = fetch(app, "/feeds/clauses/be_honest.atom")
    ids = entry_ids(now)
    assert ids == entry_ids(before) and now.findtext(f"{A}id") == before.findtext(f"{A}id")
    assert [i.rsplit(":", 1)[1] for i in ids] == ["honesty", "be_honest", "be_honest"]
    links = [e.find(f"{A}link").get("href") for e in now.iter(f"{A}entry")]
    assert all(link.startswith("http://localhost/clauses/honesty/diff?to=") for link in links)
    assert now.find(f"{A}link[@rel='alternate']").get("href") == "http://localhost/clauses/honesty"


def test_html_in_a_clause_title_is_escaped_text_never_markup(world):
    body, root = fetch(world[0], "/feeds/clauses/styled.atom")
    assert b"<b>" not in body and b"&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;" in body
    entry = root.find(f"{A}entry")
    assert entry.findtext(f"{A}title") == f"{HTML_TITLE} (styled): added"
    assert entry.find(f"{A}title").get("type") == "text"
    assert root.findtext(f"{A}title") == f"Clause styled: {HTML_TITLE}"


def test_a_control_character_in_a_commit_message_leaves_the_feed_readable(world):
    body, root = fetch(world[0], "/feeds/spec.atom")
    summary = root.find(f"{A}entry").findtext(f"{A}summary")
    assert summary.endswith("Add styled\ufffd[31m title") and not feedparser.parse(body).bozo


def test_a_document_feed_lists_only_that_documents_clause_changes(world):
    _, root = fetch(world[0], "/feeds/documents/spec/data.md.atom")
    assert sorted(i.rsplit(":", 1)[1] for i in entry_ids(root)) == ["data", "retention"]
    assert root.find(f"{A}link[@rel='alternate']").get("href") == "http://localhost/documents/spec/data.md"


@pytest.mark.parametrize("url", ["/feeds/clauses/no_such_clause.atom", "/feeds/documents/spec/nothing.md.atom",
                                 "/feeds/documents/examples/ab12.md.atom"])
def test_a_feed_of_an_unknown_clause_or_document_is_a_404(world, url):
    assert world[0].test_client().get(url).status_code == 404


def test_a_reader_that_has_the_feed_gets_a_304(world):
    client = world[0].test_client()
    first = client.get("/feeds/spec.atom")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert client.get("/feeds/spec.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/feeds/spec.atom", headers={"If-None-Match": '"other"'}).status_code == 200
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/feeds/spec.atom", headers=since).status_code == 304


@pytest.mark.parametrize(("page", "feed"), [("/", "/feeds/spec.atom"), ("/", "/feeds/proposals.atom"),
                                            ("/clauses/honesty", "/feeds/clauses/honesty.atom"),
                                            ("/clauses/be_honest?at=v1.0", "/feeds/clauses/honesty.atom"),
                                            ("/documents/spec/rules.md", "/feeds/documents/spec/rules.md.atom"),
                                            ("/proposals", "/feeds/proposals.atom")])
def test_each_page_names_its_feed_in_the_head_and_shows_a_link_to_it(world, page, feed):
    response = world[0].test_client().get(page, follow_redirects=True)
    html = response.get_data(as_text=True)
    head, body = html.split("</head>", 1)
    assert re.search(f'<link rel="alternate" type="application/atom\\+xml" title="[^"]*" href="{re.escape(feed)}">', head)
    assert f'<a class="feed" href="{feed}" type="application/atom+xml">' in body


def proposals(gov: Gov) -> tuple[bytes, ET.Element]:
    """The proposals feed, asked for anonymously."""
    return fetch(gov.app, "/feeds/proposals.atom")


def test_the_proposals_feed_lists_opened_approved_merged_and_rejected_newest_first(gov):
    merged, rejected = gov.propose(), gov.propose("be_brief", "Short.")
    post(gov, "grace", f"/api/v1/proposals/{merged}/reviews", {"kind": "approve"})
    post(gov, "ada", f"/api/v1/proposals/{merged}/merge")
    post(gov, "alan", f"/api/v1/proposals/{rejected}/reject", {"reason": "No <thanks>."})
    body, root = proposals(gov)
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    titles = [e.title for e in parsed.entries]
    assert titles == [f"Proposal #{rejected} rejected: Tighten", f"Proposal #{merged} merged: Tighten",
                      f"Proposal #{merged} approved: Tighten", f"Proposal #{rejected} opened: Tighten",
                      f"Proposal #{merged} opened: Tighten"]
    assert parsed.entries[0].summary == "rejected by Alan Turing; reason: No <thanks>."
    assert parsed.entries[1].summary == f"merged by Ada Byron as commit {gov.repo.head()}"
    assert parsed.entries[0].link == f"http://localhost/proposals/{rejected}"
    assert entry_ids(root) == entry_ids(proposals(gov)[1])
    assert all(i.startswith(f"urn:specreg:proposal:{n}:") for i, n in
               zip(entry_ids(root), (rejected, merged, merged, rejected, merged), strict=True))


def test_a_draft_enters_the_proposals_feed_when_it_is_submitted(gov):
    data = {"title": "Draft", "rationale": "Later.", "draft": True, "changes": [
        {"kind": "change", "id": "be_brief", "text": "## Be brief {#be_brief}\n\nShort.\n"}]}
    response = gov.app.test_client().post("/api/v1/proposals", json=data, headers=gov.api("ada"))
    assert response.status_code == 201, response.get_json()
    n = response.get_json()["id"]
    assert entry_ids(proposals(gov)[1]) == []
    post(gov, "ada", f"/api/v1/proposals/{n}/submit")
    assert [e.findtext(f"{A}title") for e in proposals(gov)[1].iter(f"{A}entry")] == [f"Proposal #{n} opened: Draft"]


def test_an_anonymous_feed_answer_does_not_vary_on_cookies_so_a_shared_cache_may_keep_it(world):
    response = world[0].test_client().get("/feeds/spec.atom")
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers


def test_a_feed_asked_for_with_a_session_cookie_still_varies_on_it(world):
    app = world[0]
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "forged.value.here")
    response = client.get("/feeds/spec.atom")
    assert response.status_code == 200
    assert "Cookie" in response.headers.get("Vary", "")
