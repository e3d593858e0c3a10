"""The fast block scanner finds exactly the top-level headings and paragraphs markdown-it-py finds."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from registry.spec.blocks import scan
from registry.spec.rescan import fresh_lines, rescan

_MD = MarkdownIt("commonmark", {"html": True})

FRAGMENTS = [
    "", "", "", "text", "more text", "r[rule.id]",
    "# Heading", "## Sub {#id authority=root}", "   ### Indented", "    # code", "#NoSpace", "######", "####### seven",
    "```", "~~~", "````", "``` python", "```a`b", "  ```", "   ~~~", "    ```", "~~~~~",
    "- item", "* item", "+ item", "1. item", "2) item", "-", "1.", "  - nested", "    - deeper", "      text",
    "  text", "   text", "    text", "  # inside", "  ```", "    ```", "      ```",
    "> quote", "> # quoted", "> ```", ">", "> - item", "> > # deep",
    "===", "---", "***", "- - -", "___", "  ===", "  ---",
    "\t# tab", "-\ttext", "1. # in item", "- # in item", "- ```", "- ~~~", "  ~~~",
]
# HTML blocks of the seven kinds (start lines, end lines, both on one line, lines that start none).
HTML = [
    "<script>", "<pre class=x>", "<STYLE", "<textarea>", "</script>", "</pre> after", "x </style>", "</textarea>",
    "<!-- comment -->", "<!--", "<!-->", "-->", "text -->", "<?php", "<?>", "?>", "<!DOCTYPE html>", "<!X",
    ">", "<![CDATA[", "<![CDATA[ x ]]>", "]]>", "<div>", "</div>", "<DIV class='a'>", "<table/>", "<hr>",
    "  <details>", "<span>", "</span>", "<a href=\"x\" title='y'>", "<my-tag data-x=1 />", "<span> text",
    "<a", "<1>", "<!-- a", "b -->", "    <div>", "> <!--", "> <div>", "- <div>", "- <!--", "> -->",
]
# Link reference definitions (whole, spread over lines, or not quite), admonitions, includes.
REFERENCES = [
    "[a]: /url", "[b]: <x y> \"title\"", "[c]:", "/url", "\"title\"", "'title' more", "[d]: /u 'open",
    "done'", "[e]: /u (t)", "[!NOTE]", "> [!NOTE]", "[^1]: note", "[^2]: a footnote", "[a]", "[a][b]",
    "[x\\]y]: /u", "[]: /u", "[ ]: /u", "> [a]: /u", "- [a]: /u", "  [a]: /u", "    [a]: /u", "[f]:",
    "<http://e.org>", "{{#include ../x.md}}", "{{#include y.md:anchor}}",
    # a title over several lines: whether the line that opens it belongs to the definition above
    # depends on a later line
    "\"open", "close\"", "'open", "(open", "close)",
]

EVERYTHING = FRAGMENTS + HTML + REFERENCES


def markdown_it_blocks(lines: list[str]) -> tuple[list[tuple[int, int]], list[int]]:
    """Top-level headings (line, level) and paragraph start lines, as markdown-it-py parses them."""
    tokens = [t for t in _MD.parse("\n".join(lines)) if t.level == 0 and t.map is not None]
    return ([(t.map[0], int(t.tag[1])) for t in tokens if t.type == "heading_open"],
            [t.map[0] for t in tokens if t.type == "paragraph_open"])


def scanner_blocks(lines: list[str]) -> tuple[list[tuple[int, int]], list[int]]:
    """The same from the scanner (whose paragraph starts include the first lines of setext headings)."""
    result = scan(lines)
    setext = {h.line for h in result.headings if h.setext}
    return [(h.line, h.level) for h in result.headings], [p for p in result.paragraphs if p not in setext]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24))
def test_scanner_finds_the_same_top_level_headings_and_paragraphs_as_markdown_it(lines: list[str]) -> None:
    assert scanner_blocks(lines) == markdown_it_blocks(lines)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS + HTML), max_size=24))
def test_html_blocks_of_every_kind_end_where_markdown_it_ends_them(lines: list[str]) -> None:
    assert scanner_blocks(lines) == markdown_it_blocks(lines)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS + REFERENCES + ["<!-- c -->", "<div>"]), max_size=24))
def test_link_reference_definitions_start_no_paragraph_as_in_markdown_it(lines: list[str]) -> None:
    assert scanner_blocks(lines) == markdown_it_blocks(lines)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(EVERYTHING), max_size=24), st.lists(st.sampled_from(EVERYTHING), max_size=6),
       st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=4))
def test_rescanning_only_the_changed_window_agrees_with_a_full_scan(lines, insert, at, drop):
    at = min(at, len(lines))
    edited = lines[:at] + insert + lines[at + drop:]
    old_fresh = fresh_lines(scan(lines), lines)
    window = rescan(lines, old_fresh, set(old_fresh), edited)
    if window is None:
        return  # the window could not end cleanly; the caller scans everything
    full = scan(edited)
    lo, hi = window.start, window.old_end + window.delta
    assert window.fresh == fresh_lines(full, edited)
    assert [(h.line + lo, h.level) for h in window.scan.headings] == [(h.line, h.level) for h in full.headings if lo <= h.line < hi]
    assert [p + lo for p in window.scan.paragraphs] == [p for p in full.paragraphs if lo <= p < hi]


# Few lines, so that definitions with titles over several lines meet paragraphs, setext underlines and markers.
TITLES = ["", "r[x]", "# H", "===", "[a]: /u", "\"t", "x\""]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TITLES), max_size=8), st.lists(st.sampled_from(TITLES), max_size=3),
       st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=3))
def test_rescanning_agrees_with_a_full_scan_where_link_titles_span_lines(lines, insert, at, drop):
    test_rescanning_only_the_changed_window_agrees_with_a_full_scan.hypothesis.inner_test(lines, insert, at, drop)


@pytest.mark.parametrize(("old", "new"), [
    # Line 1 was a paragraph; a closing quote below makes it the title of the definition above.
    pytest.param(["[a]: /u", '"t', "", "# H"], ["[a]: /u", '"t', 'x"', "# H"], id="a-title-opener-is-no-fresh-start"),
    # The window ends in a setext heading, which a title opened above it reads past, into the marker.
    pytest.param(["[a]: /u", "old", "", "r[x]", 'y"', "", "# H"], ["[a]: /u", '"ti', "===", "r[x]", 'y"', "", "# H"],
                 id="a-title-reads-past-the-window"),
])
def test_a_window_never_begins_or_ends_where_a_definition_above_may_read_on(old, new):
    old_fresh = fresh_lines(scan(old), old)
    window = rescan(old, old_fresh, set(old_fresh), new)
    full = scan(new)
    if window is not None:
        lo, hi = window.start, window.old_end + window.delta
        assert [p + lo for p in window.scan.paragraphs] == [p for p in full.paragraphs if lo <= p < hi]
        assert window.fresh == fresh_lines(full, new)


def test_a_one_line_edit_is_rescanned_between_the_nearest_headings_only():
    lines = [line for n in range(30) for line in (f"## Rule {n}", "", f"Body of rule {n}.", "")]
    edited = list(lines)
    edited[42] = "Body of rule ten, edited."
    old_fresh = fresh_lines(scan(lines), lines)
    window = rescan(tuple(lines), old_fresh, set(old_fresh), edited)
    assert (window.start, window.old_end) == (40, 44)
