"""The changelog between releases as a reviewer reads it: prose diffs grouped by document and authority,
each change with the proposal, approvers and rule behind it and its evaluation prompts, a flag where
there is none, a page at a time, and the same as JSON."""
from __future__ import annotations

import re

import pytest

from registry.accountability import changelog_review
from registry.accountability.changelog_review import reviewed_changelog
from registry.db import session_scope


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def article(html: str, clause: str) -> str:
    return html.split(f'<article class="change" id="c-{clause}"', 1)[1].split("</article>", 1)[0]


def test_changes_are_grouped_by_document_then_authority_in_rank_order(client):
    html = html_of(client, "/releases/v1.0...v3.0")
    headings = re.findall(r'<h2 id="g-\d+"><code>([^<]+)</code> · (?:authority <span[^>]*>(\w+)</span>|no authority)',
                          html)
    assert headings == [("spec/data.md", ""), ("spec/rules.md", "root"), ("spec/rules.md", "")]
    rules_root = html.split('<h2 id="g-2">', 1)[1].split("</section>", 1)[0]
    assert rules_root.index('id="c-honesty"') < rules_root.index('id="c-respect_privacy"')


def test_each_change_shows_its_prose_diff_marked_by_more_than_colour(client):
    honesty = article(html_of(client, "/releases/v1.0...v3.0"), "honesty")
    assert '<span class="sentence sentence-changed">' in honesty
    assert '<ins><span class="sr-only">inserted: </span><span class="mk" aria-hidden="true">{+</span>' in honesty
    assert '<del><span class="sr-only">deleted: </span>' in honesty
    assert "Was <code>be_honest</code>" in honesty and 'href="/clauses/honesty/diff?from=v1.0&amp;to=v3.0"' in honesty


def test_the_side_by_side_view_puts_deletions_left_and_insertions_right(client):
    honesty = article(html_of(client, "/releases/v1.0...v3.0?view=split"), "honesty")
    left, right = honesty.split('<div class="split">', 1)[1].split("<h3>To</h3>", 1)
    assert "<del>" in left and "<ins>" not in left and "<ins>" in right and "<del>" not in right


def test_a_change_lists_its_prompts_and_one_without_is_flagged_in_words(client):
    html = html_of(client, "/releases/v1.0...v3.0")
    honesty, privacy = article(html, "honesty"), article(html, "respect_privacy")
    assert 'id="c-honesty" data-clause="honesty" data-no-prompt="no"' in html
    assert 'id="c-respect_privacy" data-clause="respect_privacy" data-no-prompt="yes"' in html
    assert 'href="/prompts/ab12?at=v3.0">Prompt ab12: a tempting lie</a>' in honesty and "No evaluation prompt" not in honesty
    assert "<strong>No evaluation prompt:</strong> this clause cites none." in privacy
    assert "<strong>No evaluation prompt:</strong> 4 changed clauses cite none" in html  # all but honesty


def test_a_title_or_attribute_change_says_the_text_is_unchanged_and_names_the_old_title(client):
    privacy = article(html_of(client, "/releases/v1.0...v3.0"), "respect_privacy")
    assert "Modified: title, attributes." in privacy and "Title was “Respect privacy”." in privacy
    assert "The text is unchanged." in privacy and "prose-diff" not in privacy


def test_each_change_names_the_commits_that_made_it_in_the_span(client, shas):
    honesty = article(html_of(client, "/releases/v1.0...v3.0"), "honesty")
    assert shas["reword"][:10] in honesty and shas["rename"][:10] in honesty and shas["start"][:10] not in honesty
    assert "by Grace Hopper" in honesty


def test_hostile_text_in_a_diff_is_shown_escaped(client):
    html = html_of(client, "/releases/v2.0...v3.0")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;script tag&#39;)&lt;/script&gt;" in html


def test_a_large_changelog_is_paged_and_grouped_within_each_page(app):
    with session_scope(app.extensions["specreg.engine"]) as s:
        first, last = (reviewed_changelog(s, "v1.0", "v3.0", n, per_page=2) for n in (1, 3))
    assert (first.window.total, first.window.pages) == (5, 3)
    assert [c.entry.id for c in first.changes] == ["data", "retention"] and len(first.groups) == 1
    assert [c.entry.id for c in last.changes] == ["hostile"] and last.unprompted == first.unprompted == 4


def test_the_page_links_the_paged_json(client):
    assert 'href="/api/v1/changelog?from=v1.0&amp;to=v3.0&amp;page=1">JSON</a>' in html_of(client, "/releases/v1.0...v3.0")


def test_the_paged_json_carries_the_diff_versions_prompts_and_the_no_prompt_flag(client, shas):
    data = client.get("/api/v1/changelog?from=v1.0&to=v3.0&page=1").get_json()
    assert (data["total"], data["page"], data["pages"], data["next"], data["no_prompt"]) == (5, 1, 1, None, 4)
    [honesty] = [c for c in data["clauses"] if c["id"] == "honesty"]
    assert list(honesty) == ["id", "kinds", "old_id", "new_id", "title", "old_document", "new_document", "modified",
                             "authority", "document", "commits", "proposals", "versions", "prompts", "no_prompt",
                             "prose", "prose_cut"]
    assert honesty["authority"] == "root" and honesty["no_prompt"] is False and honesty["prose_cut"] == 0
    assert [p["name"] for p in honesty["prompts"]] == ["ab12"]
    assert [v["commit"] for v in honesty["versions"]] == [shas["reword"], shas["rename"]]
    assert (honesty["commits"], honesty["proposals"]) == (2, [])
    assert list(honesty["versions"][0]) == ["commit", "date", "author", "subject", "proposal", "approvers", "rule",
                                            "unapproved"]
    assert any(s["kind"] == "changed" for s in honesty["prose"])


def test_without_a_page_the_json_keeps_its_shape_and_lists_every_clause(client):
    data = client.get("/api/v1/changelog?from=v1.0&to=v3.0").get_json()
    assert list(data) == ["from", "to", "counts", "clauses", "total", "page", "pages", "next", "no_prompt"]
    assert len(data["clauses"]) == data["total"] == 5 and data["page"] is None and data["no_prompt"] is None
    assert "prose" not in data["clauses"][0] and data["clauses"][0]["authority"] is None


@pytest.mark.parametrize("url", ["/releases/v1.0...v3.0?page=9", "/api/v1/changelog?from=v1.0&to=v3.0&page=9"])
def test_a_page_past_the_end_shows_nothing_and_says_so(client, url):
    response = client.get(url)
    assert response.status_code == 200
    if url.startswith("/api/"):
        assert response.get_json()["clauses"] == []
    else:
        assert "Page 9 is past the end" in response.get_data(as_text=True)


def test_a_merged_change_names_its_proposal_approvers_and_rule(gov):
    before = gov.repo.head()
    n = gov.propose()
    client = gov.app.test_client()
    assert client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                       headers=gov.api("grace")).status_code == 201
    assert client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada")).status_code == 200
    html = html_of(client, f"/releases/{before}...main")
    assert f"<h1>Changes from {before[:10]} to main</h1>" in html  # a sha as people read it
    privacy = article(html, "respect_privacy")
    assert re.search(rf'<a class="governance" href="/proposals/{n}">via #{n}, approved by Grace Hopper, rule [\w.]+</a>',
                     privacy), privacy
    [item] = client.get(f"/api/v1/changelog?from={before}&to=main&page=1").get_json()["clauses"]
    [version] = item["versions"]
    assert (item["commits"], item["proposals"]) == (1, [n])
    assert version["proposal"] == n and [a["email"] for a in version["approvers"]] == ["grace@example.org"]
    assert version["rule"] and version["unapproved"] is False


def test_a_clause_changed_many_times_lists_its_newest_commits_and_counts_the_rest(app, client, shas, monkeypatch):
    monkeypatch.setattr(changelog_review, "VERSIONS_SHOWN", 1)
    with session_scope(app.extensions["specreg.engine"]) as s:
        [honesty] = [c for c in reviewed_changelog(s, "v1.0", "v3.0", 1).changes if c.entry.id == "honesty"]
    assert honesty.commits == 2 and [v.entry.commit for v in honesty.versions] == [shas["rename"]]
    shown = article(html_of(client, "/releases/v1.0...v3.0"), "honesty")
    assert "2 commits changed it in this span; the newest 1," in shown
    assert 'href="/clauses/honesty#history-h">the rest in its history</a>' in shown
