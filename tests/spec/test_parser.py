"""Splitting one Markdown document into clauses."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.spec import parser as parser_module
from registry.spec import rescan as rescan_module
from registry.spec.clause_builder import shifted
from registry.spec.parser import parse, parse_heading, slugify

SPEC = """# Overview {#overview authority=root}

Intro.

## Respect privacy {#respect_privacy authority=system audience="end users"}

Body of privacy.[^a1b2]

### Retention

Keep logs for 30 days.

## Be helpful ##

Helpful body.
"""


def keys(text: str, path: str = "spec/overview.md") -> list[str]:
    return [c.key for c in parse(path, text).clauses]


def test_explicit_ids_attributes_and_derived_ids_are_read_from_headings():
    doc = parse("spec/overview.md", SPEC)
    assert [(c.key, c.title, c.level, c.parent) for c in doc.clauses] == [
        ("overview", "Overview", 1, None),
        ("respect_privacy", "Respect privacy", 2, "overview"),
        ("spec.overview:overview.respect-privacy.retention", "Retention", 3, "respect_privacy"),
        ("spec.overview:overview.be-helpful", "Be helpful", 2, "overview"),
    ]
    assert dict(doc.clauses[1].attributes) == {"authority": "system", "audience": "end users"}
    assert doc.clauses[1].body == "Body of privacy.[^a1b2]"


@pytest.mark.parametrize(("heading", "expected"), [
    ("Respect privacy {#respect_privacy authority=system}", ("Respect privacy", "respect_privacy", (("authority", "system"),))),
    ("Title ## ", ("Title", None, ())),
    ("Title {not attrs}", ("Title {not attrs}", None, ())),
    ("Title {#only_id}", ("Title", "only_id", ())),
    ("Title {.note key='a b'}", ("Title", None, (("class", "note"), ("key", "a b")))),
    ("C# tips", ("C# tips", None, ())),
    ("", ("", None, ())),
])
def test_heading_text_splits_into_title_id_and_attributes(heading, expected):
    assert parse_heading(heading) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("# A\n\n~~~\n# not\n~~~\n\n# B\n", ["d:a", "d:b"]),
    ("# A\n\n```md\n# not\n```\n", ["d:a"]),
    ("# A\n\n````\n```\n# not\n```\n````\n", ["d:a"]),
    ("# A\n\n- item\n\n  ```\n  # not\n  ```\n", ["d:a"]),
    ("# A\n\n> ```\n> # not\n> ```\n", ["d:a"]),
    ("# A\n\n> # quoted heading is not a section\n", ["d:a"]),
    ("# A\n\n    # indented code\n", ["d:a"]),
    ("Setext\n======\n\nSub\n---\n", ["d:setext", "d:setext.sub"]),
    ("# A\r\n\r\n## B\r\n", ["d:a", "d:a.b"]),
    ("\ufeff# A\n", ["d:a"]),
    ("# A\n\n## B", ["d:a", "d:a.b"]),
    ("#NoSpace\n", []),
    ("text before\n\n# A\n", ["d:a"]),
])
def test_only_document_level_headings_outside_fences_start_clauses(text, expected):
    assert keys(text, "d.md") == expected


def test_rule_markers_label_the_following_paragraph_or_heading():
    text = "# Lexicon {#lex}\n\nr[lex.tokens]\nTokens are words.\nMore words.\n\nr[lex.spaces]\n\n## Whitespace\n\nSpaces body.\n"
    doc = parse("lex.md", text)
    assert [(c.key, c.title, c.body, c.parent) for c in doc.clauses] == [
        ("lex", "Lexicon", "", None),
        ("lex.tokens", "", "Tokens are words.\nMore words.", "lex"),
        ("lex.spaces", "Whitespace", "Spaces body.", "lex"),
    ]
    assert all(c.explicit for c in doc.clauses)


def test_a_duplicate_id_warns_with_its_line_and_keeps_both_clauses():
    doc = parse("d.md", "# A {#x}\n\none\n\n# B {#x}\n\ntwo\n")
    assert [c.key for c in doc.clauses] == ["x", "x~2"]
    assert [(w.line, w.message) for w in doc.warnings] == [(5, "duplicate id 'x' (first at line 1)")]
    assert doc.clauses[1].body == "two"


def test_many_equal_headings_get_distinct_numbered_ids_in_document_order():
    text = "# Top\n\n" + "".join(f"## Same\n\nbody {i}\n\n" for i in range(3000)) + "## Other\n\nlast\n"
    doc = parse("spec/d.md", text)
    same = [c for c in doc.clauses if c.title == "Same"]
    assert [c.key for c in same[:3]] == ["spec.d:top.same", "spec.d:top.same~2", "spec.d:top.same~3"]
    assert [(c.key, c.body) for c in same[-1:]] == [("spec.d:top.same~3000", "body 2999")]
    assert len({c.key for c in doc.clauses}) == len(doc.clauses) == 3002
    assert all(c.parent == "spec.d:top" for c in same) and doc.clauses[-1].key == "spec.d:top.other"
    assert len(doc.warnings) == 2999
    assert doc.warnings[-1].message == "duplicate id 'spec.d:top.same' (first at line 3)"


def test_a_changed_window_among_equal_headings_numbers_them_as_a_whole_parse_does():
    before = "# Top\n\n" + "".join(f"## Same\n\nbody {i}\n\n" for i in range(500))
    after = before.replace("body 250\n", "body 250 changed\n\n## Same\n\ninserted\n")
    windowed = parse("spec/d.md", after, previous=parse("spec/d.md", before))
    assert windowed.clauses == parse("spec/d.md", after).clauses
    assert [c.key for c in windowed.clauses[-2:]] == ["spec.d:top.same~500", "spec.d:top.same~501"]


def test_slugs_are_lowercase_ascii():
    assert slugify("Ünïcode & Friends!") == "unicode-friends"
    assert slugify("¿?") == "section"


LINES = st.sampled_from([
    "", "text", "# H {#h}", "## H2", "### H3 {#h3 authority=user}", "~~~", "```", "- item", "  ```",
    "> quote", "===", "---", "r[x.y]", "    code", "\t# tab", "[^ab12]", "#", "####### seven",
    "<!-- c -->", "<!--", "-->", "<div>", "<span>", "[a]: /url", "> [!NOTE]", "{{#include x.md}}",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, max_size=30))
def test_clause_regions_are_ordered_and_never_overlap(lines):
    doc = parse("d.md", "\n".join(lines))
    ends = [(c.start, c.end) for c in doc.clauses]
    assert all(a_end == b_start for (_, a_end), (b_start, _) in itertools.pairwise(ends))
    assert all(start < end for start, end in ends)
    assert len({c.key for c in doc.clauses}) == len(doc.clauses)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=30), st.booleans())
def test_crlf_a_bom_and_a_missing_final_newline_do_not_change_clauses(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    plain = parse("d.md", text).clauses
    assert parse("d.md", "\ufeff" + text.replace("\n", "\r\n")).clauses == plain
    assert parse("d.md", text.rstrip("\n")).clauses == parse("d.md", text.rstrip("\n") + "\n").clauses


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_without_error(text):
    parse("d.md", text)


def test_a_rule_marker_directly_above_a_heading_labels_that_heading():
    doc = parse("lex.md", "# Lexicon {#lex}\n\nr[lex.tokens]\n## Tokens\n\nBody.\n")
    assert [(c.key, c.title, c.body) for c in doc.clauses] == [("lex", "Lexicon", ""), ("lex.tokens", "Tokens", "Body.")]


DOC_LINES = st.sampled_from([
    "", "", "text", "more text", "# H {#h}", "## H2", "### H3 {#h3 authority=user}", "## Dup {#h}",
    "~~~", "```", "- item", "  ```", "> quote", "===", "---", "r[x.y]", "r[x.z]", "    code", "#### H4",
    "<!-- c -->", "<!--", "-->", "<div>", "</div>", "<pre>", "</pre>", "[a]: /url", '"title"', "> [!NOTE]",
    '"open', 'close"',
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(DOC_LINES, max_size=30), st.lists(DOC_LINES, max_size=5),
       st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=3))
def test_parsing_with_the_previous_version_gives_the_same_result_as_a_full_parse(lines, insert, at, drop):
    at = min(at, len(lines))
    old_text, new_text = "\n".join(lines), "\n".join(lines[:at] + insert + lines[at + drop:])
    previous = parse("d.md", old_text)
    full = parse("d.md", new_text)
    incremental = parse("d.md", new_text, previous)
    assert incremental.clauses == full.clauses
    assert incremental.warnings == full.warnings
    if incremental.reused is not None:  # what it says it took over unchanged, it did
        k0, j1, k1 = incremental.reused
        assert incremental.clauses[:k0] == previous.clauses[:k0]
        assert list(incremental.clauses[j1:]) == shifted(previous.clauses[k1:], len(insert) - (len(lines[at:at + drop])))


EDIT = st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=3),
                 st.lists(DOC_LINES, max_size=4))


@settings(max_examples=800, deadline=None)
@given(st.lists(DOC_LINES, max_size=30), st.lists(EDIT, min_size=2, max_size=6))
def test_a_chain_of_windowed_parses_gives_what_full_parses_give_at_every_version(lines, edits):
    # Ingest parses each version against the previous version's parse, itself often windowed: the
    # lines where a fresh scan may begin and the clause starts carry over from window to window.
    previous = parse("d.md", "\n".join(lines))
    for at, drop, insert in edits:
        at = min(at, len(lines))
        lines = lines[:at] + insert + lines[at + drop:]
        text = "\n".join(lines)
        windowed, full = parse("d.md", text, previous), parse("d.md", text)
        assert (windowed.clauses, windowed.warnings, windowed.fresh) == (full.clauses, full.warnings, full.fresh)
        previous = windowed


def test_a_heading_runs_on_over_a_window_whose_only_clause_is_gone():
    # Removing a setext underline turns the heading after `# H` back into a paragraph: no clause
    # begins where the window begins, so `# H` ends at the document's end, not at the window.
    previous = parse("d.md", "\n# H {#h}\n\ntext\n===")
    windowed = parse("d.md", "\n# H {#h}\n\ntext", previous)
    assert [(c.key, c.start, c.end, c.body) for c in windowed.clauses] == [("h", 1, 4, "text")]
    assert windowed.clauses == parse("d.md", "\n# H {#h}\n\ntext").clauses


# Few lines, so that setext underlines, rule markers and blank lines meet at a window's edges.
SETEXT_LINES = st.sampled_from(["", "# T", "Title", "---", "===", "r[a]", "r[b]", "body"])
SETEXT_EDIT = st.tuples(st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=2),
                        st.lists(SETEXT_LINES, max_size=3))


@settings(max_examples=1500, deadline=None)
@given(st.lists(SETEXT_LINES, max_size=10), st.lists(SETEXT_EDIT, min_size=1, max_size=4))
def test_a_chain_of_windowed_parses_agrees_where_setext_underlines_and_markers_come_and_go(lines, edits):
    test_a_chain_of_windowed_parses_gives_what_full_parses_give_at_every_version.hypothesis.inner_test(lines, edits)


@pytest.mark.parametrize(("old", "new"), [
    # The window begins at what was a setext heading; without its underline the text belongs to the clause before.
    pytest.param("# T\n\nTitle\n---\n\nBody.\n", "# T\n\nTitle\n\nBody.\n", id="underline-deleted"),
    # A marker waiting for a block, then a setext heading with a marker of its own: both rules are kept.
    pytest.param("r[a.b]\n\nr[d]\nTitle\n\nbody", "r[a.b]\n\nr[d]\nTitle\n---\nbody", id="underline-added"),
])
def test_a_windowed_parse_around_a_setext_heading_gives_what_a_full_parse_gives(old, new):
    windowed, full = parse("d.md", new, parse("d.md", old)), parse("d.md", new)
    assert (windowed.clauses, windowed.warnings, windowed.fresh) == (full.clauses, full.warnings, full.fresh)


def test_a_rule_marker_before_a_setext_heading_labelled_by_another_marker_is_a_rule_of_its_own():
    doc = parse("d.md", "r[a.b]\n\nr[d]\nTitle\n---\nbody\n")
    assert [(c.key, c.title, c.body) for c in doc.clauses] == [("a.b", "", ""), ("d", "Title", "body")]


def test_a_windowed_parse_says_which_clauses_it_took_unchanged_from_the_previous_one():
    text = "".join(f"## Rule {n} {{#r{n}}}\n\nBody {n}.\n\n" for n in range(10))
    previous = parse("d.md", text)
    edited = parse("d.md", text.replace("Body 4.", "Body four, longer.\nSecond line."), previous)
    k0, j1, k1 = edited.reused
    assert (k0, j1, k1) == (4, 5, 5)
    assert edited.clauses[:k0] == previous.clauses[:k0]
    assert [c.body for c in edited.clauses[j1:]] == [c.body for c in previous.clauses[k1:]]


def test_a_windowed_parse_takes_over_the_unchanged_rules_around_an_edit_under_one_heading():
    # One heading over many rule markers: the re-scan runs between the markers around the edit, and
    # only the edited rule is new; the rules after it moved down a line and are taken over too.
    text = "# Chapter {#ch}\n\n" + "".join(f"r[ch.{n}]\nRule {n} says this.\n\n" for n in range(12))
    previous = parse("d.md", text)
    edited = parse("d.md", text.replace("Rule 5 says this.", "Rule 5 says this\nand more."), previous)
    k0, j1, k1 = edited.reused
    assert [c.key for c in edited.clauses[k0:j1]] == ["ch.5"] and (k0, k1) == (6, 7)
    assert edited.clauses == parse("d.md", text.replace("Rule 5 says this.", "Rule 5 says this\nand more.")).clauses
    assert list(edited.clauses[j1:]) == shifted(previous.clauses[k1:], 1)


def test_an_edit_among_rule_markers_rescans_only_the_lines_between_the_markers_around_it(monkeypatch):
    text = "# Chapter {#ch}\n\n" + "".join(f"r[ch.{n}]\nRule {n} says this.\n\n" for n in range(200))
    previous = parse("d.md", text)
    scanned: list[int] = []
    real = rescan_module.scan_to_open_end
    monkeypatch.setattr(rescan_module, "scan_to_open_end", lambda lines: scanned.append(len(lines)) or real(lines))
    edited = parse("d.md", text.replace("Rule 150 says this.", "Rule 150 says that."), previous)
    assert scanned == [3]  # the marker, the edited line and the blank line after it, of 602
    assert edited.clauses == parse("d.md", text.replace("Rule 150 says this.", "Rule 150 says that.")).clauses


def test_a_rule_marker_after_a_heading_inserted_above_it_gets_that_heading_as_parent_in_a_windowed_parse():
    # The window ends at the marker's paragraph, which closes no heading: every open heading must
    # match for the rules after it to be taken over.
    old = "# A\n\ntext\n\nr[x]\nbody\n\n## B\n"
    new = "# A\n\ntext\n\n## New\n\nr[x]\nbody\n\n## B\n"
    windowed = parse("d.md", new, parse("d.md", old))
    assert [(c.key, c.parent) for c in windowed.clauses] == [("d:a", None), ("d:a.new", "d:a"), ("x", "d:a.new"),
                                                             ("d:a.b", "d:a")]
    assert windowed.clauses == parse("d.md", new).clauses


def test_rules_after_a_renamed_heading_get_its_new_id_as_parent_without_being_scanned_again(monkeypatch):
    # The heading's derived id changes, so the rules after the window cannot be taken over as they
    # were: they are built again from the previous parse (same lines, same regions), not re-scanned.
    rules = "".join(f"r[ch.{n}]\nRule {n} says this.\n\n" for n in range(20))
    old = f"# Chapter {{#ch}}\n\n## Part\n\n{rules}### Detail\n\nr[ch.last]\nLast.\n\n## Other {{#d:chapter.section}}\n"
    new = old.replace("## Part", "## Section")
    previous = parse("d.md", old)
    scanned: list[int] = []
    real = parser_module.scan
    monkeypatch.setattr(parser_module, "scan", lambda lines: scanned.append(len(lines)) or real(lines))
    windowed = parse("d.md", new, previous)
    assert scanned == []
    assert windowed.clauses[5].parent == "d:chapter.section"
    assert windowed.clauses[-3].key == "d:chapter.section.detail"
    assert (windowed.clauses, windowed.warnings) == (parse("d.md", new).clauses, parse("d.md", new).warnings)
    assert windowed.clauses[-1].key == "d:chapter.section~2"  # the new id of the heading took it first


def test_a_rule_marker_after_an_html_comment_labels_the_heading_after_it():
    doc = parse("src/abi.md", "# ABI {#abi}\n\n<!-- template:attributes -->\nr[abi.used]\n## The `used` attribute\n\n"
                              "r[abi.used.intro]\nKeeps the static.\n")
    assert [(c.key, c.title, c.body) for c in doc.clauses] == [
        ("abi", "ABI", "<!-- template:attributes -->"),
        ("abi.used", "The `used` attribute", ""),
        ("abi.used.intro", "", "Keeps the static."),
    ]


# One block of each CommonMark HTML kind, holding lines that look like a rule marker and a heading.
HTML_BLOCKS = [
    pytest.param("<script>\nr[not.a.rule]\n\n# Not a heading\n</script>", id="1-script"),
    pytest.param("<PRE class=x>\nr[not.a.rule]\n\n# Not a heading\n</pre> trailing text", id="1-pre"),
    pytest.param("<style>p { color: red }</style>", id="1-style-one-line"),
    pytest.param("<textarea>\n\n# Not a heading\n</textarea>", id="1-textarea"),
    pytest.param("<!-- template:attributes -->", id="2-comment-one-line"),
    pytest.param("<!-- a comment\nr[not.a.rule]\n\n# Not a heading\n-->", id="2-comment"),
    pytest.param("<?php\nr[not.a.rule]\n\n# Not a heading\n?>", id="3-processing-instruction"),
    pytest.param("<!DOCTYPE html>", id="4-declaration-one-line"),
    pytest.param("<!ELEMENT\nr[not.a.rule]\n\n# Not a heading\n>", id="4-declaration"),
    pytest.param("<![CDATA[\nr[not.a.rule]\n\n# Not a heading\n]]>", id="5-cdata"),
    pytest.param('<div class="warning">\nr[not.a.rule]\n# Not a heading\n</div>\n', id="6-div"),
    pytest.param("<details>\n<summary>More</summary>\n# Not a heading\n", id="6-details"),
    pytest.param('<span class="note">\nr[not.a.rule]\n# Not a heading\n</span>\n', id="7-open-tag"),
    pytest.param("</custom-element>\n# Not a heading\n", id="7-closing-tag"),
]


@pytest.mark.parametrize("block", HTML_BLOCKS)
@pytest.mark.parametrize(("after", "expected"), [
    pytest.param("r[rule.after]\n## The heading\n\nBody.\n", [("rule.after", "The heading", "Body.")], id="marker-and-heading"),
    pytest.param("r[rule.after]\nThe rule's text.\n", [("rule.after", "", "The rule's text.")], id="marker"),
    pytest.param("## The heading {#after}\n\nBody.\n", [("after", "The heading", "Body.")], id="heading"),
])
def test_every_kind_of_html_block_ends_where_commonmark_ends_it(block, after, expected):
    # Kinds 1-5 end on the line holding their end marker; kinds 6 and 7 at a blank line.
    text = f"# Top {{#top}}\n\n{block}\n{after}"
    doc = parse("d.md", text)
    assert [(c.key, c.title, c.body) for c in doc.clauses] == [("top", "Top", block.strip("\n")), *expected]


def test_a_tag_line_of_the_seventh_kind_cannot_interrupt_a_paragraph():
    doc = parse("d.md", "r[rule.one]\nText.\n<span>\nr[not.a.rule]\n\n<div>\nr[not.a.rule.either]\n\nr[rule.two]\nMore.\n")
    assert [c.key for c in doc.clauses] == ["rule.one", "rule.two"]


def test_link_definitions_admonitions_and_includes_are_body_text():
    text = """r[abi.used.intro]
The `used` attribute keeps a [static] in the [object file].

> [!NOTE]
> A linker may still remove it.

{{#include ../attributes-note.md}}

[static]: ../items/static-items.md
[object file]: https://example.org/object
    "Object files"
r[abi.used.allowed-positions]
The `used` attribute applies to static items only.

[linkage]: linkage.md
===
"""
    doc = parse("src/abi.md", text)
    assert [(c.key, c.body) for c in doc.clauses] == [
        ("abi.used.intro", "The `used` attribute keeps a [static] in the [object file].\n\n"
                           "> [!NOTE]\n> A linker may still remove it.\n\n{{#include ../attributes-note.md}}\n\n"
                           "[static]: ../items/static-items.md\n[object file]: https://example.org/object\n"
                           '    "Object files"'),
        # A definition starts no paragraph, so `===` under one makes no heading.
        ("abi.used.allowed-positions", "The `used` attribute applies to static items only.\n\n"
                                       "[linkage]: linkage.md\n==="),
    ]
