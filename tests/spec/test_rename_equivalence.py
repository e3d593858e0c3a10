"""The pruned rename matcher pairs exactly as the all-pairs difflib matcher it replaced.

renames_reference.py keeps the old matcher; rename_waves.py generates commits in which hundreds of
ids vanish and appear at once. Hypothesis adds the small cases where difflib's greedy alignment and
the longest common subsequence part ways (few distinct tokens, repeats), duplicate ids, empty
texts, ties and file renames.
"""
from __future__ import annotations

import difflib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rename_waves import rename_wave
from renames_reference import reference_match_renames

from registry.spec import identity
from registry.spec.identity import Candidate, match_renames

THRESHOLDS = [0.4, 0.6, 0.85]


@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_generated_rename_wave_gets_the_pairs_the_all_pairs_matcher_got(seed, threshold):
    wave = rename_wave(seed, size=120)
    expected = reference_match_renames(wave.gone, wave.arrived, threshold, wave.file_renames)
    assert match_renames(wave.gone, wave.arrived, threshold, wave.file_renames) == expected


def test_a_rename_wave_asks_difflib_about_the_pairs_it_takes_not_every_pair(monkeypatch):
    wave = rename_wave(4, size=300)
    built: list[int] = []

    class CountingMatcher(difflib.SequenceMatcher):
        def __init__(self, *args, **kwargs) -> None:
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(identity, "SequenceMatcher", CountingMatcher)
    pairs = match_renames(wave.gone, wave.arrived, 0.6, wave.file_renames)
    assert len(pairs) > 200
    # The all-pairs matcher built one matcher per gone x arrived pair (90,000 here).
    assert len(built) <= len(pairs)


_TOKENS = st.sampled_from(["a", "b", "c", "the", "rule", ",", "."])
_TEXT = st.lists(_TOKENS, max_size=14).map(" ".join)


@st.composite
def _sides(draw: st.DrawFn) -> tuple[list[Candidate], list[Candidate], dict[str, str]]:
    """Gone and arrived candidates over a tiny vocabulary: many near-ties, repeats and duplicates."""
    keys = st.sampled_from([f"k{i}" for i in range(8)])  # small pool: ids repeat across and within sides
    documents = st.sampled_from(["spec/a.md", "spec/b.md"])

    def candidate(prefix: str) -> st.SearchStrategy[Candidate]:
        derived = st.builds(lambda d, k: f"{d[:-3].replace('/', '.')}:{k}", documents, keys)
        return st.builds(Candidate, st.one_of(keys.map(lambda k: prefix + k), derived), documents,
                         st.sampled_from(["", "Rule", "rule ."]), _TEXT)

    gone = draw(st.lists(candidate("old-"), max_size=8))
    arrived = draw(st.lists(candidate("new-"), max_size=8))
    # Copies: an arrived clause with a gone one's text, possibly under a title spelled otherwise.
    for old in (draw(st.lists(st.sampled_from(gone), max_size=3)) if gone else []):
        arrived.append(Candidate(draw(keys.map(lambda k: "new-" + k)), old.document, old.title.upper(), old.body))
    file_renames = draw(st.sampled_from([{}, {"spec/a.md": "spec/b.md"}]))
    return gone, arrived, file_renames


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sides(), st.one_of(st.sampled_from([0.0, 0.5, 0.6, 1.0, 1.5]), st.floats(0.01, 1.0)))
# A score exactly at the threshold (3 of 5 tokens), which rapidfuzz's float cutoff once dropped.
@example(([Candidate("g", "d.md", "Rule .", "a")], [Candidate("n", "d.md", "Rule .", "a a a a a")], {}), 0.6)
@example(([Candidate("g", "d.md", "", "")], [Candidate("n", "d.md", "", "")], {}), 0.6)  # empty texts
@example(([Candidate("g1", "d.md", "", "a b"), Candidate("g2", "d.md", "", "a b")],
          [Candidate("n2", "d.md", "", "a b"), Candidate("n1", "d.md", "", "a b")], {}), 0.6)  # a tie
def test_any_commit_gets_the_pairs_the_all_pairs_matcher_got(sides, threshold):
    gone, arrived, file_renames = sides
    assert match_renames(gone, arrived, threshold, file_renames) == \
        reference_match_renames(gone, arrived, threshold, file_renames)


@given(st.lists(_TOKENS, max_size=20), st.lists(_TOKENS, max_size=20))
def test_rapidfuzz_indel_similarity_is_never_below_difflibs_ratio(a, b):
    from rapidfuzz.distance import Indel

    if a or b:
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        assert Indel.normalized_similarity(a, b) + 1e-9 >= ratio


def test_more_distinct_tokens_than_characters_are_numbered_instead_and_pair_the_same(monkeypatch):
    wave = rename_wave(5, size=60)
    expected = reference_match_renames(wave.gone, wave.arrived, 0.6, wave.file_renames)
    monkeypatch.setattr(identity, "_SPELLABLE", 10)
    assert match_renames(wave.gone, wave.arrived, 0.6, wave.file_renames) == expected


# Texts spelled with and without spaces: the same tokens ("a ." and "a.") and the same characters
# in other tokens ("a b" and "ab"), which the twin shortcut must tell apart.
_SPACED = st.lists(st.tuples(_TOKENS, st.sampled_from(["", " ", "\n"])), max_size=6).map(
    lambda parts: "".join(token + gap for token, gap in parts))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["g1", "g2", "g3"]), _SPACED), max_size=4),
       st.lists(st.tuples(st.sampled_from(["n1", "n2", "n3"]), _SPACED), max_size=4))
@example([("g1", "a b"), ("g2", "ab")], [("n1", "a b")])  # the same characters, other tokens
@example([("g1", "a ."), ("g2", "a.")], [("n1", "a .")])  # the same tokens, spelled otherwise
@example([("g2", "a b")], [("n1", "a b"), ("n2", "a  b")])
def test_texts_that_differ_only_in_spaces_get_the_pairs_the_all_pairs_matcher_got(gone, arrived):
    old = [Candidate(key, "d.md", "", text) for key, text in gone]
    new = [Candidate(key, "d.md", "", text) for key, text in arrived]
    assert match_renames(old, new, 0.6) == reference_match_renames(old, new, 0.6)


def test_str_split_drops_exactly_the_whitespace_the_token_pattern_skips():
    import re
    import sys

    pattern = re.compile(r"\s")
    assert all(bool(pattern.match(c)) == (len(f"a{c}b".split()) == 2)
               for c in map(chr, range(sys.maxunicode + 1)))
