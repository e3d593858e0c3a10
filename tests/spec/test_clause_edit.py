"""Writing proposed clause texts into documents at clause level, and refusing anything else."""
from __future__ import annotations

import pytest

from registry.spec.clause_edit import Edit, EditError, apply_edits, digest, new_clause_id, parse_single
from registry.spec.parser import parse

DOC = """# Rules {#rules}

Intro.

## Be honest {#be_honest authority=root}

Never lie.

### Say when unsure {#say_unsure}

Flag uncertainty.

## Respect privacy {#respect_privacy authority=system}

Do not reveal personal data.

r[lex.truth]
Truth is what is the case.
"""


def bodies(text: str) -> dict[str, str]:
    return {c.key: c.body for c in parse("spec/rules.md", text).clauses}


def test_a_change_replaces_only_that_clause_and_keeps_the_layout():
    new, result = apply_edits("spec/rules.md", DOC, [
        Edit("change", "be_honest", "## Be honest {#be_honest authority=root}\n\nNever lie, ever.\n")])
    assert new == DOC.replace("Never lie.", "Never lie, ever.")
    assert result["be_honest"].body == "Never lie, ever."
    assert result["be_honest"].attributes == {"authority": "root"}


def test_a_change_can_retitle_and_change_attributes_when_the_id_is_explicit():
    new, result = apply_edits("spec/rules.md", DOC, [
        Edit("change", "respect_privacy", "## Protect privacy {#respect_privacy authority=root}\n\nNo doxxing.")])
    assert (result["respect_privacy"].title, result["respect_privacy"].attributes) == ("Protect privacy",
                                                                                      {"authority": "root"})
    assert bodies(new)["lex.truth"] == "Truth is what is the case."


def test_a_rule_marker_clause_is_changed_with_its_marker_line():
    new, _ = apply_edits("spec/rules.md", DOC, [Edit("change", "lex.truth", "r[lex.truth]\nTruth is what holds.")])
    assert bodies(new)["lex.truth"] == "Truth is what holds."


def test_an_add_goes_after_the_clause_and_its_children():
    new, result = apply_edits("spec/rules.md", DOC, [
        Edit("add", "be_kind", "## Be kind {#be_kind}\n\nBe kind.", after="be_honest")])
    keys = [c.key for c in parse("spec/rules.md", new).clauses]
    assert keys == ["rules", "be_honest", "say_unsure", "be_kind", "respect_privacy", "lex.truth"]
    assert result["be_kind"].parent == "rules"


def test_an_add_without_a_place_goes_at_the_end_and_into_an_empty_document():
    new, _ = apply_edits("spec/rules.md", DOC, [Edit("add", "last", "## Last {#last}\n\nEnd.")])
    assert new.endswith("Truth is what is the case.\n\n## Last {#last}\n\nEnd.\n")
    created, result = apply_edits("spec/new.md", "", [Edit("add", "fresh", "# Fresh {#fresh}\n\nNew.")])
    assert created == "# Fresh {#fresh}\n\nNew.\n" and result["fresh"].parent is None


def test_a_removal_takes_the_clause_out_and_leaves_no_trailing_blank_lines():
    new, result = apply_edits("spec/rules.md", DOC, [Edit("remove", "lex.truth")])
    assert "lex.truth" not in bodies(new) and new.endswith("Do not reveal personal data.\n")
    assert result == {}


def test_several_edits_in_one_document_apply_together():
    new, _ = apply_edits("spec/rules.md", DOC, [
        Edit("change", "say_unsure", "### Say when unsure {#say_unsure}\n\nSay so."),
        Edit("add", "be_kind", "## Be kind {#be_kind}\n\nBe kind.", after="be_honest"),
        Edit("remove", "lex.truth"),
    ])
    assert [c.key for c in parse("x.md", new).clauses] == ["rules", "be_honest", "say_unsure", "be_kind",
                                                          "respect_privacy"]
    assert bodies(new)["say_unsure"] == "Say so."


def test_crlf_and_a_bom_are_kept_so_the_edit_is_not_a_whole_file_diff():
    original = "\ufeff" + DOC.replace("\n", "\r\n")
    new, _ = apply_edits("spec/rules.md", original, [Edit("change", "lex.truth", "r[lex.truth]\nChanged.")])
    assert new.startswith("\ufeff# Rules") and "\r\nChanged.\r\n" in new and "\n\n" not in new.replace("\r\n", "")


REFUSED = {
    "a change of heading level": (Edit("change", "respect_privacy", "### Respect privacy {#respect_privacy}\nx"),
                                  "keep the heading level"),
    "a second clause in the text": (Edit("change", "lex.truth", "r[lex.truth]\nx\n\n## Other {#other}\ny"),
                                    "makes clause(s) other"),
    "a text with another id": (Edit("change", "be_honest", "## Be honest {#honesty}\nx"), "does not carry that id"),
    "removing a clause with children": (Edit("remove", "be_honest"), "has child clauses (say_unsure)"),
    "adding an id that exists": (Edit("add", "be_honest", "## B {#be_honest}\nx"), "already has a clause"),
    "adding after a clause that is not there": (Edit("add", "x", "## X {#x}\nx", after="nope"), "no clause 'nope'"),
    "changing a clause that is not there": (Edit("change", "nope", "## N {#nope}\nx"), "no clause with this id"),
    "an empty text": (Edit("change", "be_honest", "  \n"), "empty"),
    "an unknown kind": (Edit("rename", "be_honest", "x"), "unknown kind"),
}


@pytest.mark.parametrize(("edit", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_edits_say_why(edit, message):
    with pytest.raises(EditError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_edits("spec/rules.md", DOC, [edit])


def test_retitling_a_clause_with_a_derived_id_is_refused_with_advice():
    doc = "# Top {#top}\n\n## Derived title\n\nBody.\n\n### Child\n\nMore.\n"
    with pytest.raises(EditError, match="derived from the heading path"):
        apply_edits("a.md", doc, [Edit("change", "a:top.derived-title", "## New title\n\nBody.")])
    # Keeping the id explicit is fine for the clause, but its child's derived id would change.
    with pytest.raises(EditError, match="would change the id of 'a:top.derived-title.child'"):
        apply_edits("a.md", doc, [Edit("change", "a:top.derived-title", "## New {#a:top.derived-title}\n\nB.")])


def test_naming_a_clause_twice_is_refused():
    with pytest.raises(EditError, match="named twice"):
        apply_edits("spec/rules.md", DOC, [Edit("remove", "lex.truth"), Edit("remove", "lex.truth")])


def test_the_digest_covers_the_exact_text_and_nothing_else():
    a = digest([("spec/rules.md", [Edit("change", "x", "## X {#x}\n\nBody.\n")])])
    assert a == digest([("spec/rules.md", [Edit("change", "x", "\r\n## X {#x}\r\n\r\nBody.\r\n\r\n")])])
    assert a != digest([("spec/rules.md", [Edit("change", "x", "## X {#x}\n\nBody!\n")])])
    assert a != digest([("spec/other.md", [Edit("change", "x", "## X {#x}\n\nBody.\n")])])
    assert len(a) == 64


def test_parse_single_reads_one_clause_for_a_preview():
    c = parse_single("## Be honest {#be_honest authority=root}\n\nNever lie.\n", "be_honest")
    assert (c.key, c.title, c.attributes, c.body) == ("be_honest", "Be honest", {"authority": "root"}, "Never lie.")
    with pytest.raises(EditError, match="holds 2 clauses"):
        parse_single("## A {#a}\n\nx\n\n## B {#b}\n\ny\n")
    with pytest.raises(EditError, match="not 'other'"):
        parse_single("## A {#a}\n\nx\n", "other")


@pytest.mark.parametrize(("text", "key"), [("## Be kind {#be_kind authority=user}\n\nKind.\n", "be_kind"),
                                           ("r[lex.kind]\nBe kind.\n", "lex.kind")])
def test_a_new_clause_takes_its_id_from_its_heading_or_marker(text, key):
    assert new_clause_id(text) == key


@pytest.mark.parametrize(("text", "message"), [
    ("Just a body.\n", "no heading line"),
    ("## Be kind\n\nKind.\n", "a new clause needs an id"),
    ("## Be kind {#be kind}\n\nKind.\n", r"\(\{#be kind\}\) is not an attribute block"),
    ("## Be kind {#be_kind k=\"open}\n\nKind.\n", "is not an attribute block"),
    ("## A {#a}\n\nx\n\n### B {#b}\n\ny\n", "holds 2 clauses"),
])
def test_a_new_clause_without_a_readable_id_is_refused_with_the_reason(text, message):
    with pytest.raises(EditError, match=message):
        new_clause_id(text)
