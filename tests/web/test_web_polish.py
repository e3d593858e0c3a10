"""Polish: the API reference page, one timestamp format, long ids shortened with the whole id on hover."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from registry.web.context import ID_SHOWN, short_id, when


def test_the_api_reference_is_a_page_drawn_from_the_openapi_document_with_nothing_from_elsewhere(client):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method in item:
            assert f'{method.upper()}</span> <code>{path}</code>' in html, (method, path)
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)


def test_the_footer_s_json_api_link_opens_the_reference(client):
    assert '<a href="/api/docs">JSON API</a>' in client.get("/").get_data(as_text=True)


def test_every_moment_is_printed_one_way_with_its_zone():
    moment = datetime(2024, 6, 30, 16, 5, tzinfo=timezone(timedelta(hours=2)))
    expected = '<time datetime="2024-06-30T14:05:00Z">2024-06-30 14:05 UTC</time>'
    assert str(when(moment)) == expected
    assert str(when("2024-06-30T14:05:00Z")) == expected  # read models that carry ISO strings
    assert str(when(datetime(2024, 6, 30, 14, 5))) == expected  # naive: UTC, as stored
    assert str(when(moment.astimezone(UTC))) == expected and when(None) == ""


def test_pages_print_no_bare_iso_timestamps(client):
    for url in ("/", "/clauses/honesty", "/releases", "/proposals", "/owners"):
        html = client.get(url).get_data(as_text=True)
        text = re.sub(r"<[^>]+>", " ", html)  # the datetime attributes keep ISO; the text never does
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), url


def test_a_long_id_is_shortened_with_the_whole_id_on_hover_and_for_screen_readers():
    long = "spec.overview:introduction.scope.of.this.document.and.more"
    html = str(short_id(long))
    assert f'title="{long}"' in html and f'<span class="sr-only">{long}</span>' in html
    shown = re.search(r'aria-hidden="true">([^<]+)<', html)[1]
    assert len(shown) <= ID_SHOWN and shown.startswith("spec.overview") and shown.endswith("and.more")
    assert str(short_id("honesty")) == '<code class="id">honesty</code>'
