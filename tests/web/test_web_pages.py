"""The HTML pages: what a reader sees on each, as-of views, redirects and useful 404s."""
from __future__ import annotations

import re

import pytest
from statements import captured, reads_every_text, reads_text


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_home_page_lists_documents_clause_trees_badges_releases_and_recent_changes(client):
    html = text_of(client.get("/"))
    assert "spec/rules.md" in html and "spec/data.md" in html
    assert 'href="/clauses/honesty"' in html and '<code class="id">honesty</code>' in html
    assert 'class="badge authority-root"' in html
    assert "<details open>" in html  # the outline collapses
    assert html.index("v3.0") < html.index("v2.0") < html.index("v1.0")
    assert "Recently changed" in html and "Move retention to data.md" in html
    assert 'role="search"' in html


def test_the_clause_page_shows_text_metadata_neighbours_prompts_and_history(client, shas):
    html = text_of(client.get("/clauses/honesty"))
    assert "<h1>Be honest</h1>" in html
    assert "<code>be_honest</code>" in html  # former id
    assert "authority=root" in html
    assert 'href="/clauses/rules">Rules</a>' in html  # parent
    assert "say when you are unsure" in html
    assert 'href="/prompts/ab12"' in html and "Prompt ab12: a tempting lie" in html
    assert "[^ab12]: examples/ab12.md" not in html  # the footnote definition is not shown as text
    for subject in ("Start the rules", "Reword honesty", "Rename be_honest to honesty"):
        assert subject in html
    assert "Grace Hopper" in html and shas["reword"][:10] in html
    assert '<span class="kind kind-renamed">renamed</span>' in html
    assert "<svg" in html and "Changes over time" in html


def test_the_clause_page_lists_children_in_document_order(client):
    html = text_of(client.get("/clauses/rules"))
    children = html[html.index("Clauses under this one"):html.index("Evaluation prompts")]
    assert re.findall(r'href="/clauses/([^"?]+)"', children) == ["honesty", "respect_privacy", "spec.rules:rules.scope", "hostile"]


def test_a_cross_reference_links_to_the_other_clauses_page_and_an_unknown_anchor_stays_an_anchor(client):
    html = text_of(client.get("/clauses/rules"))
    assert '<a href="/clauses/honesty">link to honesty</a>' in html  # be_honest is a former id
    assert '<a href="#nowhere">an anchor</a>' in html


@pytest.mark.parametrize("url, target", [
    ("/clauses/be_honest", "/clauses/honesty"),
    ("/clauses/be_honest/diff?view=split", "/clauses/honesty/diff?view=split"),
    ("/clauses/be_honest/blame?at=v1.0", "/clauses/honesty/blame?at=v1.0"),
    ("/api/v1/clauses/be_honest/history", "/api/v1/clauses/honesty/history"),
])
def test_a_former_id_redirects_to_the_same_page_under_the_current_id(client, url, target):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("url", ["/clauses/spec.rules:rules.scope", "/clauses/spec.rules:rules.scope/diff",
                                 "/clauses/spec.rules:rules.scope/blame", "/api/v1/clauses/spec.rules:rules.scope"])
def test_derived_ids_with_colons_and_dots_work_in_urls(client, url):
    assert client.get(url).status_code == 200


def test_the_as_of_view_shows_a_banner_the_old_text_and_links_that_keep_the_point(client, shas):
    html = text_of(client.get("/clauses/be_honest?at=v1.0", follow_redirects=True))
    assert "as of v1.0" in html and 'class="asof-banner"' in html
    assert "Never state what you believe to be false." in html and "unsure" not in html
    assert "<h1>Be honest</h1>" in html and "<code>be_honest</code>" in html
    assert 'href="/clauses/rules?at=v1.0"' in html  # the parent link keeps the as-of
    assert f'href="/clauses/honesty/diff?at=v1.0&amp;to={shas["start"]}"' in html  # and the timeline's
    assert "Start the rules" in html and "Reword honesty" not in html  # history up to the point
    home = text_of(client.get(f"/?at={shas['raise'][:8]}"))
    assert "Protect privacy" in home and "spec/data.md" not in home


@pytest.mark.parametrize("at", ["2024-01-03", "v2.0", "main"])
def test_every_kind_of_ref_works_as_an_as_of_point(client, at):
    response = client.get(f"/?at={at}")
    assert response.status_code == 200
    assert ("asof-banner" in text_of(response)) is (at != "main")


@pytest.mark.parametrize("url, status, expected", [
    ("/clauses/honestly", 404, "Did you mean"),
    ("/clauses/no_such_clause_at_all", 404, "no clause has the id"),
    ("/clauses/hostile?at=v1.0", 404, "See this clause as it is now"),
    ("/clauses/honesty?at=no-such-tag", 404, "A ref is a release tag"),
    ("/clauses/honesty/diff?from=deadbeef", 404, "unknown ref"),
    ("/?at=1999-01-01", 404, "before the spec&#39;s first commit"),
    ("/releases/v1.0..v2.0", 400, "three dots"),
    ("/releases/v1.0...v9.9", 404, "unknown ref"),
    ("/prompts/zz99", 404, "no evaluation prompt"),
    ("/search?q=%21%21", 400, "at least one word"),
    ("/no/such/page", 404, "Not found"),
])
def test_errors_are_useful_pages_with_the_right_status(client, url, status, expected):
    response = client.get(url)
    assert response.status_code == status
    assert expected in text_of(response)
    page = text_of(response)  # every error page offers the ways on
    assert "The spec’s home page" in page and "Search the spec" in page and 'href="/login' in page


def test_the_diff_page_marks_words_without_relying_on_colour(client, shas):
    html = text_of(client.get(f"/clauses/honesty/diff?from={shas['start']}&to={shas['reword']}"))
    assert re.search(r"<ins><span class=\"sr-only\">inserted: </span><span class=\"mk\" aria-hidden=\"true\">"
                     r"\{\+</span>, and say when you are unsure<span class=\"mk\" aria-hidden=\"true\">\+\}</span></ins>",
                     html)
    title = text_of(client.get("/clauses/respect_privacy/diff?from=v1.0&to=v2.0"))
    assert re.search(r"<del><span class=\"sr-only\">deleted: </span>.*\[-</span>Respect<.*-\]</span></del>", title)
    assert "Key:" in html


def test_the_side_by_side_diff_puts_deletions_left_and_insertions_right(client, shas):
    html = text_of(client.get(f"/clauses/honesty/diff?from={shas['start']}&to={shas['reword']}&view=split"))
    left, right = html.split('<div class="split">', 1)[1].split("<h3>To</h3>", 1)
    assert "<del>" in left and "<ins>" not in left
    assert "<ins>" in right.split("</div>")[0] and "<del>" not in right.split("</div>")[0]


def test_the_diff_page_shows_title_and_attribute_changes(client):
    html = text_of(client.get("/clauses/respect_privacy/diff?from=v1.0&to=v2.0"))
    assert "<h2 id=\"title-h\">Title</h2>" in html and "Protect" in html
    assert "<code>authority</code>" in html and "system" in html and "root" in html


def test_the_diff_defaults_to_the_latest_change(client):
    html = text_of(client.get("/clauses/retention/diff"))
    assert "Moved from <code>spec/rules.md</code> to <code>spec/data.md</code>" in html


def test_blame_attributes_each_line_to_the_version_that_last_changed_it(client, shas):
    html = text_of(client.get("/clauses/honesty/blame"))
    rows = re.findall(r'<tr class="run-start">.*?href="[^"]*to=([0-9a-f]{40})', html, re.S)
    assert rows[0] == shas["start"]  # the title has not changed since the start
    assert shas["reword"] in rows  # the first body line was reworded
    assert "[^ab12]: examples/ab12.md" in html


def test_releases_list_tags_newest_first_with_changelog_links(client):
    html = text_of(client.get("/releases"))
    assert html.index(">v3.0<") < html.index(">v2.0<") < html.index(">v1.0<")
    assert 'href="/releases/v2.0...v3.0"' in html


def test_releases_as_of_a_point_list_only_the_tags_made_by_then(client):
    html = text_of(client.get("/releases?at=v2.0"))
    table = html[html.index('<table class="releases">'):]
    assert ">v2.0<" in table and ">v1.0<" in table and ">v3.0<" not in table and "asof-banner" in html


def test_the_compare_form_redirects_to_the_changelogs_permalink(client):
    response = client.get("/releases/compare?from=v1.0&to=v3.0")
    assert response.status_code == 302 and response.headers["Location"] == "/releases/v1.0...v3.0"


def test_the_changelog_counts_each_kind_of_change_and_links_each_clause_to_its_diff(client):
    html = text_of(client.get("/releases/v1.0...v3.0"))
    for kind, count in {"added": 2, "removed": 0, "renamed": 1, "moved": 1, "modified": 2}.items():
        assert f"<li>{kind.capitalize()}: {count}</li>" in html
    assert 'href="/clauses/honesty/diff?from=v1.0&amp;to=v3.0"' in html
    assert "Was <code>be_honest</code>" in html


def test_the_search_page_finds_current_clauses_and_optionally_past_versions(client):
    html = text_of(client.get("/search?q=unsure"))
    assert 'href="/clauses/honesty"' in html and "<mark>unsure</mark>" in html
    assert "Past version" not in text_of(client.get("/search?q=system"))
    past = text_of(client.get("/search?q=temporary&past=1"))
    assert "Past version" in past and 'href="/clauses/temp?at=' in past


def test_the_prompts_page_shows_which_clauses_have_no_prompts(client):
    html = text_of(client.get("/prompts"))
    without = html[html.index('id="none-h"'):html.index('id="with-h"')]
    assert "respect_privacy" in without and "honesty" not in without
    assert 'href="/prompts/ab12"' in html[html.index('id="with-h"'):]


def test_a_prompt_page_renders_the_file_and_lists_the_clauses_citing_it(client):
    html = text_of(client.get("/prompts/ab12"))
    assert "<h1>Prompt ab12: a tempting lie</h1>" in html and 'href="/clauses/honesty"' in html


def test_a_changelog_tells_modified_text_by_its_hash_without_reading_any_clause_text(app, client):
    with captured(app.extensions["specreg.engine"]) as statements:
        assert client.get("/api/v1/changelog?from=v1.0&to=v3.0").status_code == 200
    assert statements and not [s for s in statements if reads_text(s)]


@pytest.mark.parametrize("url", ["/releases/v1.0...v3.0", "/api/v1/changelog?from=v1.0&to=v3.0&page=1"])
def test_a_changelog_page_reads_only_the_texts_of_its_own_clauses_and_those_that_may_cite_a_prompt(app, client, url):
    with captured(app.extensions["specreg.engine"]) as statements:
        assert client.get(url).status_code == 200
    texts = [s for s in statements if reads_text(s)]
    assert texts and all(" LIKE " in s.upper() or "clauses.id IN" in s or "clause_versions.clause_id IN" in s
                         for s in texts), [s[-300:] for s in texts]


@pytest.mark.parametrize("url", ["/prompts", "/prompts/ab12", "/api/v1/coverage"])
def test_the_prompt_pages_read_only_the_texts_that_may_cite_a_prompt(app, client, url):
    with captured(app.extensions["specreg.engine"]) as statements:
        assert client.get(url).status_code == 200
    assert any(reads_text(s) for s in statements) and not [s for s in statements if reads_every_text(s)]


def test_the_activity_page_draws_a_chart_with_text_alternatives(client):
    html = text_of(client.get("/activity"))
    assert '<svg viewBox="0 0 720 160"' in html and 'role="img"' in html and "<desc" in html
    assert "changes in" in html and "<table" in html


@pytest.mark.parametrize("url", ["/", "/clauses/honesty", "/clauses/honesty/diff", "/clauses/honesty/blame",
                                 "/releases", "/releases/v1.0...v2.0", "/search?q=privacy", "/activity",
                                 "/prompts", "/prompts/ab12"])
def test_every_page_has_a_title_one_h1_breadcrumbs_and_labelled_inputs(client, url):
    html = text_of(client.get(url))
    assert re.search(r"<title>[^<]+ · Specreg</title>", html)
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert 'aria-label="Breadcrumb"' in html
    for input_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html
    assert not re.search(r'<input(?![^>]*type="hidden")(?![^>]*\bid=)(?![^>]*type="radio")[^>]*>', html.split('<label class="check">')[0])


def test_before_anything_is_ingested_pages_and_the_api_say_so(database_url, tmp_path):
    from registry.app import create_app
    from registry.config import Settings

    app = create_app({"TESTING": True}, settings=Settings(database_url, tmp_path, tmp_path))
    client = app.test_client()
    page, api = client.get("/"), client.get("/api/v1/clauses")
    assert page.status_code == 503 and "specreg ingest" in text_of(page)
    assert api.status_code == 503 and api.get_json()["error"] == "schema_error"
    app.extensions["specreg.engine"].dispose()


def test_before_anything_is_ingested_an_admin_still_reaches_the_user_account_and_proposal_pages(database_url, tmp_path):
    from sqlalchemy.pool import NullPool

    from registry.accounts.users import add_user
    from registry.app import create_app
    from registry.config import Settings
    from registry.db import make_engine, session_scope

    engine = make_engine(database_url, poolclass=NullPool)
    with session_scope(engine, write=True) as session:  # `specreg user add`: a standing audit event, no head
        add_user(session, None, "root@example.org", "Root", "admin", "a long passphrase", bootstrap=True)
    engine.dispose()
    app = create_app({"TESTING": True}, settings=Settings(database_url, tmp_path, tmp_path))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    client.post("/login", data={"email": "root@example.org", "password": "a long passphrase",
                                "csrf_token": "csrf-token", "next": "/account"})
    for path in ("/admin/users", "/account", "/proposals"):  # each asks the header's review queue
        page = client.get(path)
        assert page.status_code == 200, (path, text_of(page)[:300])
    app.extensions["specreg.engine"].dispose()
