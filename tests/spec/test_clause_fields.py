"""The prose editor's fields and the Markdown they stand for: one pure assembly, read back by the parser."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from registry.spec.clause_edit import EditError, parse_single
from registry.spec.clause_fields import (
    AUTHORITIES,
    ClauseFields,
    canonical_body,
    from_markdown,
    parse_attributes,
    suggest_id,
    to_markdown,
)
from registry.spec.parser import parse

WORD = st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=8)
PUNCT = st.sampled_from([",", ".", "!", "?", ";", ":", "(", ")", "'", '"', "-", "*", "`", "&", "<", ">", "#"])
TITLE = st.lists(st.one_of(WORD, PUNCT), min_size=1, max_size=8).map(" ".join).map(str.strip)
IDS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,20}", fullmatch=True)
KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,10}", fullmatch=True)
VALUES = st.one_of(st.text(st.characters(codec="ascii", categories=("L", "N", "P", "Zs"),
                                         exclude_characters="{}\"'\n\r"), max_size=12),
                   st.from_regex(r"[a-z ]{0,5}\"[a-z ]{0,5}", fullmatch=True))
LINE = st.lists(st.one_of(WORD, PUNCT), min_size=1, max_size=10).map(" ".join)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=4).map("\n".join)
BODY = st.lists(PARAGRAPH, max_size=4).map("\n\n".join)


def fields_strategy() -> st.SearchStrategy[ClauseFields]:
    attrs = st.lists(st.tuples(KEYS, VALUES), max_size=4, unique_by=lambda kv: kv[0])
    return st.builds(ClauseFields, TITLE, IDS, attrs.map(tuple), BODY, st.integers(1, 6))


def _reads_as_written(f: ClauseFields) -> bool:
    """Titles the heading syntax itself would change (a trailing #, a {...} block) are the Markdown mode's."""
    return not f.title.endswith("#") and not f.title.endswith("}") and not any(
        line.lstrip().startswith(("#", "-", "*", ">", "`", "<", "=", "r[")) or line.lstrip()[:1].isdigit()
        for line in f.body.split("\n"))


@settings(max_examples=150, deadline=None)
@given(fields_strategy())
def test_fields_written_as_markdown_parse_back_as_the_same_fields(f):
    assume(_reads_as_written(f))
    text = to_markdown(f)
    assert from_markdown(text) == ClauseFields(f.title, f.id, f.attributes, canonical_body(f.body), f.level)
    [clause] = parse("doc.md", text).clauses
    assert (clause.key, clause.title, dict(clause.attributes)) == (f.id, f.title, dict(f.attributes))


@settings(max_examples=80, deadline=None)
@given(fields_strategy())
def test_fields_either_round_trip_or_are_refused_with_a_reason(f):
    try:
        text = to_markdown(f)
    except EditError as exc:
        assert exc.message
        return
    back = from_markdown(text)
    assert back is not None and (back.title, back.id, back.attributes) == (f.title, f.id, f.attributes)


@settings(max_examples=80, deadline=None)
@given(fields_strategy())
def test_markdown_read_as_fields_writes_the_same_text_again(f):
    assume(_reads_as_written(f))
    text = to_markdown(f)
    assert to_markdown(from_markdown(text)) == text  # type: ignore[arg-type]


def test_the_stored_text_is_the_heading_line_with_its_block_then_the_body():
    f = ClauseFields("Be kind", "be_kind", (("authority", "guideline"), ("note", "a b")), "Be kind.\n", 2)
    assert to_markdown(f) == '## Be kind {#be_kind authority=guideline note="a b"}\n\nBe kind.\n'
    assert parse_single(to_markdown(f)).attributes == {"authority": "guideline", "note": "a b"}


def test_a_new_clause_id_is_suggested_by_the_slug_rule_of_derived_ids():
    assert suggest_id("Respect privacy!") == "respect-privacy"
    assert suggest_id("  Être poli  ") == "etre-poli"
    assert suggest_id(" ") == ""  # nothing to suggest yet (the parser's "section" is for a heading it must name)
    [derived] = parse("d.md", "## Respect privacy!\n\nx\n").clauses
    assert derived.key == "d:" + suggest_id("Respect privacy!")


@pytest.mark.parametrize(("fields", "reason"), [
    (ClauseFields("", "x", (), "b"), "needs a title"),
    (ClauseFields("Two\nlines", "x", (), "b"), "one line"),
    (ClauseFields("T", "bad id", (), "b"), "clause id 'bad id'"),
    (ClauseFields("T", "x", (("9key", "v"),), "b"), "attribute name '9key'"),
    (ClauseFields("T", "x", (("k", "a{b"),), "b"), "attribute k"),
    (ClauseFields("T", "x", (("k", "v"), ("k", "w")), "b"), "named twice"),
    (ClauseFields("T", "x", (), "b", 7), "heading level"),
    (ClauseFields("T", "x", (), "Text.\n\n## Another {#other}\n\nMore."), "body"),
    (ClauseFields("T", "x", (), "Text.\n\nr[a.rule]\nA rule."), "body"),
])
def test_fields_that_cannot_be_one_clause_are_refused_naming_the_field(fields, reason):
    with pytest.raises(EditError) as exc:
        to_markdown(fields)
    assert reason in exc.value.message


def test_a_rule_marker_clause_or_a_heading_without_an_id_has_no_field_form():
    assert from_markdown("r[a.rule]\nThe rule.\n") is None
    assert from_markdown("r[a.rule]\n## Rule\n\nText.\n") is None
    assert from_markdown("## Untitled id\n\nText.\n") is None
    with pytest.raises(EditError, match="holds 2 clauses"):
        from_markdown("## A {#a}\n\nx\n\n## B {#b}\n")


def test_the_editor_attributes_put_authority_first_and_read_key_value_lines():
    assert parse_attributes("system", "owner = team\n\nnote=two words\n") == \
        (("authority", "system"), ("owner", "team"), ("note", "two words"))
    assert parse_attributes("", "") == ()
    with pytest.raises(EditError, match="not key=value"):
        parse_attributes("", "just words")
    with pytest.raises(EditError, match="its own field"):
        parse_attributes("", "authority=root")
    assert "guideline" in AUTHORITIES
