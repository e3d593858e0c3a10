"""Long list pages: `?page=N`, what each page says it shows, links that keep the other parameters."""
from __future__ import annotations

import pytest

from registry.paging import page_of, window


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("number, total, first, last, pages, previous, next_, past_end", [
    (1, 0, 0, 0, 1, None, None, False),
    (1, 50, 1, 50, 1, None, None, False),
    (1, 51, 1, 50, 2, None, 2, False),
    (2, 51, 51, 51, 2, 1, None, False),
    (3, 51, 0, 0, 2, 2, None, True),
    (9, 51, 0, 0, 2, 2, None, True),
    (0, 51, 1, 50, 2, None, 2, False),
    (-4, 51, 1, 50, 2, None, 2, False),
])
def test_a_window_knows_its_slice_its_neighbours_and_when_it_is_past_the_end(
        number, total, first, last, pages, previous, next_, past_end):
    w = window(number, 50, total)
    assert (w.first, w.last, w.pages, w.previous, w.next, w.past_end) == (first, last, pages, previous, next_, past_end)


def test_page_of_slices_a_loaded_list():
    assert page_of(list(range(7)), 2, 3).items == (3, 4, 5)
    assert page_of(list(range(7)), 4, 3).items == ()


@pytest.mark.parametrize("url, noun", [
    ("/prompts?page=5", "clauses without prompts"),
    ("/releases/v1.0...v3.0?page=3", "changed clauses"),
    ("/unowned?page=7", "unowned clauses"),
])
def test_a_list_page_past_the_end_says_so_and_links_back(client, url, noun):
    html = text_of(client.get(url))
    assert "is past the end" in html and noun in html and 'rel="prev"' in html


def test_the_changelog_pages_keep_the_other_parameters_and_say_what_they_show(client):
    html = text_of(client.get("/releases/v1.0...v3.0?page=2&at=v2.0"))
    assert 'href="/releases/v1.0...v3.0?at=v2.0&amp;page=1"' in html


def test_a_short_list_says_nothing_about_pages(client):
    html = text_of(client.get("/prompts"))
    assert "Showing" not in html and "past the end" not in html and 'class="pager"' not in html


def test_search_pages_follow_each_other_best_first_and_say_when_more_follow(app):
    from registry.db import session_scope
    from registry.history.asof import as_of
    from registry.history.search import search, search_page
    with app.app_context(), session_scope(app.extensions["specreg.engine"]) as session:
        point = as_of(session, None).point
        everything = [h.id for h in search(session, "personal", point, past=True).hits]
        pages = [search_page(session, "personal", point, True, n, size=1) for n in (1, 2, 3)]
    assert len(everything) == 2
    assert [h.id for p in pages for h in p.results.hits] == everything
    assert [(p.first, p.more) for p in pages] == [(1, True), (2, False), (3, False)]


def test_a_search_page_past_the_end_says_so_and_its_links_keep_the_query_and_the_point(client):
    html = text_of(client.get("/search?q=personal&at=v3.0&page=4"))
    assert "Page 4 is past the end" in html
    assert 'href="/search?q=personal&amp;at=v3.0&amp;page=3"' in html


def test_the_releases_page_lists_each_release_with_a_link_since_the_one_before(client):
    html = text_of(client.get("/releases"))
    assert 'href="/releases/v2.0...v3.0"' in html and "first release" in html
    assert "No releases on this page" in text_of(client.get("/releases?page=2"))


@pytest.mark.parametrize("state, clause", [(None, None), ("open", None), (None, "respect_privacy")])
def test_proposal_pages_together_list_what_the_whole_list_lists(gov, state, clause):
    from registry.db import session_scope
    from registry.proposals.reads import list_proposals, proposals_page
    for _ in range(5):
        gov.propose()
    with gov.app.app_context(), session_scope(gov.app.extensions["specreg.engine"]) as session:
        whole = [p.id for p in list_proposals(session, state, clause)]
        first = proposals_page(session, state, clause, 1, size=2)
        pages = [proposals_page(session, state, clause, n, size=2) for n in range(1, first.window.pages + 2)]
    assert [p.id for page in pages for p in page.items] == whole
    assert pages[-1].window.past_end and first.window.total == len(whole)


def test_the_proposals_page_pages_and_keeps_the_state_filter(gov):
    gov.propose()
    html = text_of(gov.browser(None).get("/proposals?state=open&page=3"))
    assert "Page 3 is past the end" in html and 'href="/proposals?state=open&amp;page=1"' in html
