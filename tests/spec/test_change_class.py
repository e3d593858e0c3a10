"""Pure: a proposed change is editorial (spacing, punctuation, case, spelling) or normative (anything else)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.spec.change_class import (
    EDITORIAL,
    NORMATIVE,
    classify_change,
    classify_text,
    edit_distance,
)

OLD = "The assistant must not reveal personal data, unless the user asks for their own."


@pytest.mark.parametrize(("new", "expected"), [
    (OLD, EDITORIAL),
    ("The  assistant must not reveal\npersonal data, unless the user asks for their own.", EDITORIAL),  # spacing, wrap
    ("The assistant must not reveal personal data unless the user asks for their own", EDITORIAL),  # punctuation
    ("The assistant MUST NOT reveal personal data, unless the user asks for their own.", EDITORIAL),  # case
    ("The assistant *must not* reveal personal data, unless the user asks for their own.", EDITORIAL),  # emphasis
    ("The asistant must not reveal personal data, unless the user asks for their own.", EDITORIAL),  # a typo fixed
    ("The assistant must not reveal presonal data, unless the user asks for their own.", EDITORIAL),  # a transposition
    ("The assistant must not reveal personal data, unless the user asks for thier own.", EDITORIAL),
    ("The assistant must not reveal personal data, unless the user asks for their own data.", NORMATIVE),  # a word added
    ("The assistant must not reveal personal data.", NORMATIVE),  # words removed
    ("The assistant should not reveal personal data, unless the user asks for their own.", NORMATIVE),
    ("The assistant must now reveal personal data, unless the user asks for their own.", NORMATIVE),  # not -> now
    ("The assistant most not reveal personal data, unless the user asks for their own.", NORMATIVE),  # must -> most
    ("The assistant must not reveal personal data, unless the user asks for there own.", NORMATIVE),  # 2 in 5 letters
    ("The assistant must not reveal personal data, unless the user asks far their own.", NORMATIVE),  # short word
    ("The assistant must not reveal personal date, unless the user asks for their own.", EDITORIAL),
    ("The assistant must not reveal personal data, unless the user asks for their own.\n\n```\nx\n```",
     NORMATIVE),
    ("The assistant must not conceal personal data, unless the user asks for their own.", NORMATIVE),
])
def test_only_spacing_punctuation_case_or_small_misspellings_are_editorial(new, expected):
    assert classify_text(OLD, new) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("Keep it for 12 hours.", "Keep it for 13 hours.", NORMATIVE),  # a digit
    ("Keep it for 12 hours.", "Keep it for 12 houres.", EDITORIAL),
    ("Be responsible.", "Be irresponsible.", NORMATIVE),  # a negating prefix, whatever the distance
    ("An able helper.", "An unable helper.", NORMATIVE),
    ("A legal request.", "An illegal request.", NORMATIVE),
    ("Colour and behaviour.", "Color and behavior.", EDITORIAL),
    ("Acknowledgement.", "Acknowledgment.", EDITORIAL),
    ("Always answer.", "Alwyas answer.", NORMATIVE),  # a forceful word is never a typo
    ("Use the 'or' form.", "Use the 'of' form.", NORMATIVE),
    ("Harmful content.", "Harmless content.", NORMATIVE),
    ("", "", EDITORIAL),
    ("", "Text.", NORMATIVE),
])
def test_digits_forceful_words_and_negating_prefixes_are_normative(old, new, expected):
    assert classify_text(old, new) == expected


@pytest.mark.parametrize(("kind", "title", "attributes", "body", "expected"), [
    ("change", "Respect privacy", {"authority": "system"}, "Do not reveal  personal data", EDITORIAL),
    ("change", "Respect Privacy!", {"authority": "system"}, "Do not reveal personal data.", EDITORIAL),
    ("change", "Respect privacy", {"authority": "root"}, "Do not reveal personal data.", NORMATIVE),
    ("change", "Respect privacy", {"authority": "system", "x": "1"}, "Do not reveal personal data.", NORMATIVE),
    ("change", "Protect privacy", {"authority": "system"}, "Do not reveal personal data.", NORMATIVE),
    ("add", "Respect privacy", {"authority": "system"}, "Do not reveal personal data.", NORMATIVE),
    ("remove", None, None, None, NORMATIVE),
    ("file", "policy.toml", {}, "[defaults]", NORMATIVE),
])
def test_a_change_is_editorial_only_when_title_and_body_are_and_the_attributes_stay(kind, title, attributes, body,
                                                                                    expected):
    assert classify_change(kind, "Respect privacy", title, {"authority": "system"}, attributes,
                           "Do not reveal personal data.", body) == expected


def test_edit_distance_counts_insertions_deletions_replacements_and_swaps():
    assert [edit_distance(a, b) for a, b in [("", ""), ("abc", "abc"), ("abc", "ab"), ("abc", "abd"),
                                             ("abcd", "abdc"), ("kitten", "sitting"), ("", "abc")]] == [0, 0, 1, 1, 1, 3, 3]


WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1,
                         max_size=10), min_size=0, max_size=12)
SEPARATORS = st.sampled_from([" ", "  ", "\n", ", ", ". ", " - ", "; ", "\t", " *", "* ", " (", ") "])


@given(WORDS, st.data())
def test_respacing_repunctuating_and_recasing_any_text_is_editorial(words, data):
    old = " ".join(words)
    new = "".join(w.swapcase() if data.draw(st.booleans()) else w for w in
                  (x for word in words for x in (word, data.draw(SEPARATORS))))
    assert classify_text(old, new) == EDITORIAL


@given(WORDS, WORDS)
def test_the_class_is_symmetric(a, b):
    assert classify_text(" ".join(a), " ".join(b)) == classify_text(" ".join(b), " ".join(a))


@given(WORDS, st.sampled_from(["must", "not", "never", "may", "only", "42", "unless"]), st.integers(min_value=0))
def test_adding_any_word_or_a_forceful_one_is_normative(words, extra, where):
    position = where % (len(words) + 1)
    assert classify_text(" ".join(words), " ".join(words[:position] + [extra] + words[position:])) == NORMATIVE
