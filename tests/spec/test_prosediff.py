"""Prose diffs: reflowed paragraphs, sentences, words; a hard wrap or extra spaces are never a change."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.spec.prosediff import ELIDED, changed, excerpt, prose_diff, reflow, sentences
from registry.spec.worddiff import Op

WORD = st.text(st.characters(codec="ascii", categories=("L",)), min_size=1, max_size=7)  # no "1." to start a list
SENTENCE = st.lists(WORD, min_size=1, max_size=8).map(" ".join).map(lambda s: s[:1].upper() + s[1:] + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4)
TEXT = st.lists(PARAGRAPH, min_size=1, max_size=4)
GAP = st.sampled_from([" ", "  ", "\n", " \n", "\n  ", "\t"])


def written(paragraphs: list[list[str]], gaps: st.DataObject | None = None) -> str:
    """The paragraphs as a writer might wrap them (`gaps` draws the whitespace between words)."""
    out = []
    for para in paragraphs:
        words = " ".join(para).split(" ")
        text = words[0]
        for w in words[1:]:
            text += (gaps.draw(GAP) if gaps else " ") + w
        out.append(text)
    return "\n\n".join(out) + "\n"


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_rewrapping_a_text_or_changing_its_spaces_is_no_change(paragraphs, data):
    plain, wrapped = written(paragraphs), written(paragraphs, data)
    assert reflow(plain) == reflow(wrapped)
    diff = prose_diff(plain, wrapped)
    assert not changed(diff) and all(s.kind == "equal" for s in diff)


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, st.data())
def test_each_side_of_the_diff_reads_as_that_text_reflowed(old, new, data):
    a, b = written(old, data), written(new, data)
    diff = prose_diff(a, b)
    by_paragraph: dict[int, str] = {}
    for s in diff:
        by_paragraph[s.paragraph] = by_paragraph.get(s.paragraph, "") + "".join(o.text for o in s.new_ops)
    assert [by_paragraph[k] for k in sorted(by_paragraph) if by_paragraph[k]] == reflow(b)
    def squeezed(text: str) -> str:
        return "".join(text.split())
    assert squeezed("".join(o.text for s in diff for o in s.old_ops)) == squeezed("".join(reflow(a)))
    assert all("".join(sentences(p)) == p for p in reflow(a))


def test_one_changed_word_is_one_changed_sentence_with_the_word_marked():
    old = "Do not reveal personal data.\nAsk first. Be brief when\nyou answer.\n"
    new = "Do not reveal private data. Ask first.\nBe brief when you answer.\n"
    diff = prose_diff(old, new)
    assert [s.kind for s in diff] == ["changed", "equal", "equal"]
    assert Op("delete", "personal") in diff[0].ops and Op("insert", "private") in diff[0].ops
    assert [o.text for o in diff[0].new_ops] == ["Do not reveal ", "private", " data. "]


def test_sentences_added_and_removed_stay_in_their_paragraph():
    diff = prose_diff("One. Two.\n\nThree.\n", "One. Two. New one.\n\nThree.\n")
    assert [(s.kind, s.paragraph) for s in diff] == [("equal", 0), ("equal", 0), ("inserted", 0), ("equal", 1)]
    gone = prose_diff("One. Two.\n\nThree.\n", "One.\n\nThree.\n")
    assert [(s.kind, s.paragraph) for s in gone] == [("equal", 0), ("deleted", 0), ("equal", 1)]


def test_list_items_and_code_keep_their_lines():
    assert reflow("- one\n  two\n- three\n\n```\na  b\nc\n```\n") == ["- one two", "- three", "```\na  b\nc\n```"]
    assert changed(prose_diff("```\na b\n```\n", "```\na  b\n```\n"))  # spaces in code are meaning


def test_an_excerpt_keeps_the_changed_sentence_with_one_neighbour_each_side_and_elides_the_rest():
    old = " ".join(f"Sentence {w}." for w in "abcdefg")
    diff = prose_diff(old, old.replace("Sentence d.", "Sentence D."))
    shown, cut = excerpt(diff)
    assert [s.kind for s in shown] == [ELIDED, "equal", "changed", "equal", ELIDED] and cut == 0
    assert [s.ops[0].text for s in shown if s.kind == "equal"] == ["Sentence c. ", "Sentence e. "]


def test_an_excerpt_stops_at_its_limit_and_says_how_many_sentences_it_cut():
    added = prose_diff("", " ".join(f"Line {n}." for n in range(50)))
    shown, cut = excerpt(added, limit=40)
    assert len(shown) == 40 and cut == 10 and all(s.kind == "inserted" for s in shown)


@settings(max_examples=100, deadline=None)
@given(TEXT, TEXT)
def test_an_excerpt_never_drops_a_change_within_its_limit(a, b):
    diff = prose_diff(written(a), written(b))
    shown, cut = excerpt(diff, limit=10_000)
    assert cut == 0 and [s for s in shown if s.kind != "equal" and s.kind != ELIDED] == [
        s for s in diff if s.kind != "equal"]
