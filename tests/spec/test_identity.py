"""Rename matching between vanished and new ids."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.spec.identity import Candidate, match_renames
from registry.spec.worddiff import apply_new, apply_old, word_diff

BODY = "Never state what you believe to be false, and say when you are unsure."


def c(key: str, body: str = BODY, title: str = "Be honest", document: str = "spec/a.md") -> Candidate:
    return Candidate(key, document, title, body)


@pytest.mark.parametrize(("gone", "arrived", "expected"), [
    ([c("be_honest")], [c("honesty")], {"honesty": "be_honest"}),
    ([c("be_honest")], [c("honesty", BODY.replace("unsure", "uncertain"))], {"honesty": "be_honest"}),
    ([c("be_honest")], [c("be_brief", "Prefer short answers.", "Be brief")], {}),
    ([c("a", "", "Notes")], [c("b", "", "Scope")], {}),
    ([c("a"), c("b", "Completely different words here about formatting tables.", "Tables")],
     [c("x", "Completely different words here about formatting tables!", "Tables")], {"x": "b"}),
    ([c("old")], [c("new1"), c("new2")], {"new1": "old"}),
])
def test_renames_pair_by_similarity_above_the_threshold(gone, arrived, expected):
    assert match_renames(gone, arrived, 0.6) == expected


def test_a_file_rename_carries_derived_ids_even_when_the_body_changes():
    gone = [c("spec.a:rules.scope", "Old text entirely.", "Scope", "spec/a.md")]
    arrived = [c("spec.b:rules.scope", "New unrelated wording.", "Scope", "spec/b.md")]
    assert match_renames(gone, arrived, 0.6, {"spec/a.md": "spec/b.md"}) == {"spec.b:rules.scope": "spec.a:rules.scope"}


def test_the_threshold_is_configurable():
    edited = c("honesty", "Never state falsehoods; flag doubt.")
    assert match_renames([c("be_honest")], [edited], 0.9) == {}
    assert match_renames([c("be_honest")], [edited], 0.1) == {"honesty": "be_honest"}


@given(st.text(max_size=200), st.text(max_size=200))
def test_a_word_diff_rebuilds_both_texts(old, new):
    ops = word_diff(old, new)
    assert apply_old(ops) == old and apply_new(ops) == new
