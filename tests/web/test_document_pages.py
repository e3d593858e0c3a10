"""The home page's table of contents and the document page: one document's outline, paged when huge."""
from __future__ import annotations

import pytest

from registry.accountability.overview import spec_overview
from registry.db import session_scope
from registry.history.asof import as_of
from registry.history.documents import document_page


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_document_page_shows_one_documents_whole_outline(client):
    html = text_of(client.get("/documents/spec/rules.md"))
    assert "<code>spec/rules.md</code>" in html and 'href="/clauses/honesty"' in html
    assert 'href="/clauses/retention"' not in html  # data.md's clause is on data.md's page
    assert "<details open>" in html and "Showing" not in html  # one page: nothing to explain


def test_the_home_page_links_each_document_to_its_page(client):
    assert 'href="/documents/spec/rules.md"' in text_of(client.get("/"))


def test_the_document_page_keeps_the_as_of_point(client):
    html = text_of(client.get("/documents/spec/rules.md?at=v1.0"))
    assert "asof-banner" in html and 'href="/clauses/be_honest?at=v1.0"' in html


@pytest.mark.parametrize("url", ["/documents/spec/nothing.md", "/documents/spec/data.md?at=v1.0"])
def test_an_unknown_document_or_one_not_yet_written_is_a_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404 and "no document" in text_of(response)


def test_a_document_path_is_escaped_on_the_404_page(client):
    html = text_of(client.get("/documents/spec/%3Cscript%3Ealert(1)%3C/script%3E.md"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_a_page_past_the_end_says_so_and_links_back_keeping_the_other_parameters(client):
    html = text_of(client.get("/documents/spec/rules.md?at=v3.0&page=2&x=1"))
    assert "Page 2 is past the end" in html  # the test spec's rules.md fits on one page
    assert 'href="/documents/spec/rules.md?at=v3.0&amp;x=1&amp;page=1"' in html


@pytest.mark.parametrize("number, first_ids", [(1, 2), (2, 2), (3, 1)])
def test_document_pages_slice_the_clause_order(app, number, first_ids):
    with app.app_context(), session_scope(app.extensions["specreg.engine"]) as session:
        point = as_of(session, None).point
        page = document_page(session, "spec/rules.md", point, number, size=2)
    shown = [n.view.id for n in page.document.roots] + [c.view.id for n in page.document.roots for c in n.children]
    assert len(shown) == first_ids and page.window.pages == 3 and page.document.size == 5


def test_a_large_spec_gets_a_table_of_contents_without_trees(app):
    with app.app_context(), session_scope(app.extensions["specreg.engine"]) as session:
        point = as_of(session, None).point
        small, large = spec_overview(session, point), spec_overview(session, point, inline_limit=3)
    assert small.inline and small.documents[0].roots
    assert not large.inline and all(d.roots == [] for d in large.documents)
    assert [(d.path, d.title, d.size) for d in large.documents] == [(d.path, d.title, d.size) for d in small.documents]


def test_a_query_argument_named_like_a_path_argument_does_not_break_the_page_links(client):
    response = client.get("/documents/spec/rules.md?page=2&path=elsewhere")
    html = text_of(response)
    assert response.status_code == 200 and "Page 2 is past the end" in html
    assert 'href="/documents/spec/rules.md?page=1"' in html  # the document named by the URL's path
