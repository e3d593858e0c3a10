"""The fast block scanner finds exactly the top-level headings markdown-it-py finds."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from registry.spec.blocks import atx_lines, rescan, scan

_MD = MarkdownIt("commonmark", {"html": False})

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


def markdown_it_headings(lines: list[str]) -> list[tuple[int, int]]:
    tokens = _MD.parse("\n".join(lines))
    return [(t.map[0], int(t.tag[1])) for t in tokens if t.type == "heading_open" and t.level == 0]


def scanner_headings(lines: list[str]) -> list[tuple[int, int]]:
    return [(h.line, h.level) for h in scan(lines).headings]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24))
def test_scanner_finds_the_same_top_level_headings_as_markdown_it(lines: list[str]) -> None:
    assert scanner_headings(lines) == markdown_it_headings(lines)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24), st.lists(st.sampled_from(FRAGMENTS), max_size=6),
       st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=4))
def test_rescanning_only_the_changed_window_agrees_with_a_full_scan(lines, insert, at, drop):
    at = min(at, len(lines))
    edited = lines[:at] + insert + lines[at + drop:]
    old_atx = atx_lines(scan(lines))
    window = rescan(lines, old_atx, set(old_atx), edited)
    if window is None:
        return  # the window could not end cleanly; the caller scans everything
    full = scan(edited)
    lo, hi = window.start, window.old_end + window.delta
    assert window.atx == atx_lines(full)
    assert [(h.line + lo, h.level) for h in window.scan.headings] == [(h.line, h.level) for h in full.headings if lo <= h.line < hi]
    assert [p + lo for p in window.scan.paragraphs] == [p for p in full.paragraphs if lo <= p < hi]


def test_a_one_line_edit_is_rescanned_between_the_nearest_headings_only():
    lines = [line for n in range(30) for line in (f"## Rule {n}", "", f"Body of rule {n}.", "")]
    edited = list(lines)
    edited[42] = "Body of rule ten, edited."
    old_atx = atx_lines(scan(lines))
    window = rescan(tuple(lines), old_atx, set(old_atx), edited)
    assert (window.start, window.old_end) == (40, 44)
