"""`/api/v1/clauses?page=N`: pages of every clause, a `next` link, and the whole list without a page."""
from __future__ import annotations

from registry.db import session_scope
from registry.history.asof import as_of
from registry.history.documents import clauses_page
from registry.history.queries import list_clauses


def test_every_clause_without_a_page_keeps_the_whole_list_and_says_there_is_no_next(client):
    body = client.get("/api/v1/clauses?at=v1.0").get_json()
    assert len(body["clauses"]) == body["total"] > 0
    assert (body["page"], body["pages"], body["next"]) == (None, None, None)


def test_a_page_of_clauses_says_where_it_is_and_past_the_end_is_empty(client):
    whole = client.get("/api/v1/clauses").get_json()
    first = client.get("/api/v1/clauses?page=1").get_json()
    assert first["clauses"] == whole["clauses"] and first["total"] == whole["total"]
    assert (first["page"], first["pages"], first["next"]) == (1, 1, None)
    past = client.get("/api/v1/clauses?page=3&at=v1.0").get_json()
    assert past["clauses"] == [] and past["page"] == 3 and past["next"] is None


def test_the_page_after_is_linked_with_the_other_parameters(client, monkeypatch):
    from registry.web.history import api
    monkeypatch.setattr(api, "clauses_page", lambda s, p, n: clauses_page(s, p, n, size=2))
    body = client.get("/api/v1/clauses?at=v1.0&page=1").get_json()
    assert len(body["clauses"]) == 2 and body["pages"] > 1
    assert body["next"] == "/api/v1/clauses?at=v1.0&page=2"


def test_following_the_pages_of_clauses_gives_the_whole_list_in_order(app):
    with app.app_context(), session_scope(app.extensions["specreg.engine"]) as session:
        point = as_of(session, None).point
        whole = [v.summary() for v in list_clauses(session, point)]
        first = clauses_page(session, point, 1, size=3)
        pages = [first] + [clauses_page(session, point, n, size=3) for n in range(2, first.window.pages + 1)]
        assert [v.summary() for p in pages for v in p.items] == whole
        assert first.window.total == len(whole) and first.window.pages > 1
