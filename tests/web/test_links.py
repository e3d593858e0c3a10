"""Clause and commit links built from one prefix per request are the links url_for builds."""
from __future__ import annotations

import re

import pytest
from flask import Flask, g, url_for
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.web.links import clause_href, commit_href

# Ids and refs as a link may carry them: any text but NUL (refused before any view runs) and surrogates.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
MOUNTS = st.sampled_from(["", "/mount", "/a b/ünï"])


@settings(max_examples=300, deadline=None)
@given(key=TEXT, at=st.none() | TEXT, page_at=st.none() | TEXT, mount=MOUNTS)
def test_a_clause_link_is_the_url_url_for_builds(app: Flask, key: str, at: str | None, page_at: str | None,
                                                 mount: str) -> None:
    with app.test_request_context("/", base_url=f"http://localhost{mount}"):
        g.at = page_at  # the page's as-of point, as current_as_of sets it
        expected = url_for("clauses.show", id=key, at=at) if at else url_for("clauses.show", id=key)
        assert clause_href(key, at) == expected


@settings(max_examples=200, deadline=None)
@given(sha=TEXT, page_at=st.none() | TEXT, mount=MOUNTS)
def test_a_commit_link_is_the_url_url_for_builds(app: Flask, sha: str, page_at: str | None, mount: str) -> None:
    with app.test_request_context("/", base_url=f"http://localhost{mount}"):
        g.at = page_at
        assert commit_href(sha) == url_for("pages.home", at=sha)


@pytest.mark.parametrize("page", ["/unapproved", "/", "/?at=v1.0", "/unowned", "/search?q=honest"])
def test_a_page_served_under_a_prefix_links_clauses_and_commits_under_it(client: FlaskClient, page: str) -> None:
    at_root = client.get(page).get_data(as_text=True)
    assert client.get(page).status_code == 200
    mounted = client.get(page, base_url="http://localhost/mount").get_data(as_text=True)
    links = re.findall(r'href="(/[^"]*)"', mounted)
    assert any("/clauses/" in h for h in links)
    assert all(h.startswith("/mount/") for h in links if "/clauses/" in h or "?at=" in h)
    assert mounted.replace('="/mount/', '="/') == at_root  # the same page, every link moved
