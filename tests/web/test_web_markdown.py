"""Clause text rendering: Markdown in, sanitized HTML out; nothing hostile survives."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from registry.web.markdown import TAGS, render_markdown, safe_href

SAFE_URL = re.compile(r"(https?://[^/]|mailto:|#|/clauses/|/prompts/)", re.IGNORECASE)


class Inspector(HTMLParser):
    """Collects everything in an HTML fragment that could run code or load something unsafe."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (name in ("style",) and tag not in ("th", "td")):
                self.problems.append(f"{tag} {name}")
            if name in ("href", "src") and not SAFE_URL.match(value or ""):
                self.problems.append(f"{tag} {name}={value}")


def problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    return inspector.problems


def clause_url(key: str) -> str | None:
    return f"/clauses/{key}" if key in {"be_honest", "spec.a:b.c"} else None


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox)",
    "[x](//evil.example/)",
    "[x](file:///etc/passwd)",
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "[x]: javascript:alert(1)\n\n[y][x]",
    "<svg onload=alert(1)>",
    "<http://x.example/\" onmouseover=\"alert(1)>",
    "[x](https://ok.example \"title\" onclick=alert(1))",
])
def test_hostile_markdown_leaves_no_active_html_behind(source):
    html = render_markdown(source)
    assert problems(html) == []
    assert "<script" not in html and "javascript:alert" not in re.sub(r">[^<]*<", "><", html)


@pytest.mark.parametrize("source, expected", [
    ("[site](https://example.org/a?b=c)", '<a href="https://example.org/a?b=c" rel="nofollow noopener noreferrer">site</a>'),
    ("[mail](mailto:a@example.org)", '<a href="mailto:a@example.org" rel="nofollow noopener noreferrer">mail</a>'),
    ("[see](#be_honest)", '<a href="/clauses/be_honest">see</a>'),
    ("[see](#spec.a:b.c)", '<a href="/clauses/spec.a:b.c">see</a>'),
    ("[here](#section-2)", '<a href="#section-2">here</a>'),
    ("[see][h]\n\n[h]: #be_honest", '<a href="/clauses/be_honest">see</a>'),
    ("`<b>code</b>`", "<code>&lt;b&gt;code&lt;/b&gt;</code>"),
    ("| a |\n|:-:|\n| 1 |", '<th style="text-align:center">a</th>'),
])
def test_safe_links_and_formatting_survive(source, expected):
    assert expected in render_markdown(source, clause_url)


@pytest.mark.parametrize("href, expected", [
    ("https://x.example", "https://x.example"), ("#be_honest", "/clauses/be_honest"), ("#top", "#top"),
    ("relative/path.md", None), ("/absolute", None), ("http:no-host", None), ("ftp://x.example", None),
])
def test_safe_href_allows_only_web_mail_anchor_and_clause_links(href, expected):
    assert safe_href(href, clause_url) == expected


def test_footnote_citations_link_to_existing_prompts_and_definitions_disappear():
    html = render_markdown("Rule.[^ab12] Other.[^zz99]\n\n[^ab12]: examples/ab12.md\n",
                           prompt_url=lambda n: f"/prompts/{n}" if n == "ab12" else None)
    assert '<sup class="fnref"><a href="/prompts/ab12"' in html
    assert '<sup class="fnref missing">[zz99]</sup>' in html
    assert "examples/ab12.md" not in html


def test_hostile_markdown_in_a_clause_page_is_rendered_harmless(client):
    html = client.get("/clauses/hostile").get_data(as_text=True)
    text = html[html.index('<div class="prose">'):html.index("</section>", html.index('<div class="prose">'))]
    assert problems(text.replace('<div class="prose">', "", 1).rsplit("</div>", 1)[0]) == []
    assert '<a href="https://example.org/safe"' in text and 'href="mailto:someone@example.org"' in text
    assert "&lt;script&gt;" in text  # shown as text, escaped
    assert not re.search(r"<(script|iframe|style)\b", html.lower())


@pytest.mark.parametrize("url", ["/clauses/hostile/diff", "/clauses/hostile/blame", "/search?q=hover",
                                 "/search?q=hover&past=1", "/releases/v2.0...v3.0", "/prompts"])
def test_hostile_text_is_escaped_everywhere_else_it_is_shown(client, url):
    body = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in body and "<iframe" not in body and 'onmouseover="' not in body


def test_the_api_gives_the_source_text_as_json_that_browsers_will_not_sniff_as_html(client):
    response = client.get("/api/v1/clauses/hostile")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" in response.get_json()["text"]


def test_pages_allow_only_our_own_script_files_never_inline_ones(client):
    policy = client.get("/clauses/hostile").headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"] and "object-src 'none'" in policy


@pytest.mark.parametrize("source, expected", [
    ("![logo](https://tracker.example/p.png?reader=1)",
     '<a href="https://tracker.example/p.png?reader=1" rel="nofollow noopener noreferrer" class="remote-image">'
     "image: logo</a>"),
    ("![](http://tracker.example/p.png)",
     '<a href="http://tracker.example/p.png" rel="nofollow noopener noreferrer" class="remote-image">'
     "image: http://tracker.example/p.png</a>"),
    ("[![badge](https://tracker.example/b.png)](https://example.org/)",
     '<a href="https://example.org/" rel="nofollow noopener noreferrer">image: badge</a>'),
])
def test_an_image_on_another_host_is_a_link_to_it_never_loaded_by_the_reader(source, expected):
    html = render_markdown(source)
    assert expected in html and "<img" not in html


@pytest.mark.parametrize("source", ["![s](//tracker.example/p.png)", "![d](data:image/png;base64,iVBORw0KGgo=)",
                                    "![m](mailto:a@example.org)"])
def test_an_image_that_is_neither_same_site_nor_web_keeps_no_source(source):
    html = render_markdown(source)
    assert "<img" in html and "src=" not in html and "tracker.example" not in html


def test_an_image_on_this_site_is_shown():
    assert '<img src="/static/diagram.png" alt="diagram">' in render_markdown("![diagram](/static/diagram.png)")


def test_the_content_security_policy_lets_images_load_only_from_this_site(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self';" in policy and "http" not in policy
