"""Full-text search: one function, the same answers on SQLite (FTS5) and PostgreSQL (tsvector)."""
from __future__ import annotations

import pytest
from ledger_helpers import run_ingest
from spec_fixture import build_spec
from sqlalchemy import text

from registry.db import is_sqlite
from registry.errors import BadRequest
from registry.history.queries import list_clauses
from registry.history.search import search, search_page, snippet, terms
from registry.history.search_index import sync_search_index
from registry.ledger.refs import resolve


@pytest.fixture
def spec(session, repo):
    shas = build_spec(repo)
    run_ingest(session, repo)
    return shas


def ids(results) -> list[str]:
    return sorted(h.id for h in results.hits)


@pytest.mark.parametrize("query, expected", [
    ("personal", ["respect_privacy", "retention"]),
    ("PERSONAL data", ["respect_privacy", "retention"]),
    ("honesty", ["honesty", "rules"]),  # the id, and the cross-reference text in Rules
    ("be_honest", ["honesty", "rules"]),  # the title "Be honest", and the link in the intro
    ("spec.rules:rules.scope", ["spec.rules:rules.scope"]),
    ("unsur", ["honesty"]),  # the last word is a prefix
    ("protect privacy", ["respect_privacy"]),
    ("nothing matches this", []),
    ("reveals", ["respect_privacy"]),  # both backends stem: reveals ~ reveal
])
def test_search_matches_every_word_in_ids_titles_and_text(session, spec, query, expected):
    assert ids(search(session, query, resolve(session, None))) == expected


def test_search_at_an_earlier_point_sees_the_text_of_then(session, spec):
    assert ids(search(session, "unsure", resolve(session, "v1.0"))) == []
    hits = search(session, "state", resolve(session, "v1.0")).hits
    assert [(h.id, h.key) for h in hits] == [("honesty", "be_honest")]  # linked by its id of today


def test_past_versions_are_found_only_when_asked_and_say_they_are_past(session, spec):
    head = resolve(session, None)
    assert ids(search(session, "state", head)) == []
    hits = search(session, "state", head, past=True).hits
    assert [(h.id, h.key, h.current) for h in hits] == [("honesty", "be_honest", False)]
    assert hits[0].commit == spec["start"]


def test_a_current_match_is_marked_current_in_a_past_search(session, spec):
    hits = search(session, "unsure", resolve(session, None), past=True).hits
    assert [(h.id, h.current) for h in hits] == [("honesty", True)]


def test_a_past_search_shows_the_current_version_when_it_matches_else_the_newest_match(session, spec):
    hits = {h.id: h for h in search(session, "privacy", resolve(session, None), past=True).hits}
    assert (hits["respect_privacy"].title, hits["respect_privacy"].current) == ("Protect privacy", True)
    honesty = search(session, "never", resolve(session, None), past=True).hits
    assert [(h.key, h.commit, h.current) for h in honesty] == [("honesty", spec["rename"], True)]
    gone = search(session, "short lived", resolve(session, None), past=True).hits
    assert [(h.id, h.current, h.commit) for h in gone] == [("temp", False, spec["hostile"])]


def test_a_title_or_id_match_ranks_above_a_text_match(session, repo):
    repo.commit("init", {"spec/a.md": "# Other {#other}\n\nMentions privacy once.\n\n"
                                      "# Privacy {#privacy}\n\nAbout data.\n"})
    run_ingest(session, repo)
    assert [h.id for h in search(session, "privacy", resolve(session, None)).hits] == ["privacy", "other"]


@pytest.mark.parametrize("query", ["", "   ", "!!! ???", "x" * 201])
def test_a_query_without_words_or_too_long_is_a_bad_request(session, spec, query):
    with pytest.raises(BadRequest):
        search(session, query, resolve(session, None))


def test_quotes_and_operators_in_a_query_are_just_words(session, spec):
    assert ids(search(session, '"personal" OR NEAR(x) -data*', resolve(session, None))) == []
    assert ids(search(session, 'personal" AND "data', resolve(session, None))) == ["respect_privacy", "retention"]


def test_the_sqlite_index_catches_up_with_versions_written_outside_ingest(session, spec):
    assert sync_search_index(session) == 0  # ingest kept it in step
    if is_sqlite(session):
        session.execute(text("INSERT INTO clause_search (clause_search, rowid, key, title, body) "
                             "SELECT 'delete', id, key, title, body FROM clause_versions "
                             "WHERE id = (SELECT max(id) FROM clause_versions)"))
        assert sync_search_index(session) == 1


def test_postgresql_search_uses_the_gin_index(session, spec):
    if is_sqlite(session):
        pytest.skip("PostgreSQL only")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    from registry.history.search import PG_DOCUMENT

    plan = "\n".join(session.scalars(text(
        f"EXPLAIN SELECT id FROM clause_versions WHERE {PG_DOCUMENT} @@ to_tsquery('english', 'privacy')")))
    assert "ix_clause_versions_search" in plan


@pytest.mark.parametrize("query, words", [
    ("spec.a:b-c be_honest", ["spec", "b", "c", "honest"]),  # "a" and "be" are stop words
    ("The Privacy of users", ["privacy", "users"]),
    ("the and", ["the", "and"]),  # nothing but stop words: keep them
])
def test_terms_split_on_punctuation_and_drop_stop_words(query, words):
    assert terms(query) == words


def test_a_snippet_centres_on_the_first_match_and_marks_every_match():
    body = "word " * 100 + "the privacy rule keeps Privacy safe " + "tail " * 100
    segments = snippet(body, ["privacy"])
    assert segments[0] == ("…", False) and segments[-1][0].endswith("…")
    assert [t for t, hit in segments if hit] == ["privacy", "Privacy"]


def test_a_search_hit_s_snippet_shows_no_footnote_or_link_markup(session, spec):
    # "Be honest" cites its evaluation prompt with a footnote, [^ab12], and defines it below
    hit = next(h for h in search(session, "false", resolve(session, None)).hits if h.id == "honesty")
    shown = hit.as_dict()["snippet"]
    assert "false" in shown and "[^" not in shown and "examples/ab12.md" not in shown


def _privacy_spec(repo) -> str:
    """Fourteen clauses saying "privacy", several in the same words (equal ranks), then a commit that
    changes, removes and adds some: a common word with past versions that must not leak into pages."""
    texts = ["Privacy comes first.", "Keep privacy and data apart.", "Privacy, privacy and privacy."]

    def doc(bodies: dict[int, str]) -> str:
        return "".join(f"# Clause {n} {{#c{n}}}\n\n{body}\n\n" for n, body in bodies.items())
    first = {n: texts[n % 3] for n in range(14)}
    repo.commit("first", {"spec/a.md": doc(first)}, tag="v1")
    later = {n: b for n, b in first.items() if n != 5} | {1: "Nothing to see.", 2: "Only data.",
                                                          3: texts[2], 14: texts[0]}
    repo.commit("later", {"spec/a.md": doc(later)})
    return "privacy"


@pytest.mark.parametrize("past", [False, True])
def test_pages_of_a_common_word_are_disjoint_and_follow_the_order_of_one_big_page(session, repo, past):
    word = _privacy_spec(repo)
    run_ingest(session, repo)
    head = resolve(session, None)
    whole = [h.id for h in search(session, word, head, past, limit=100).hits]
    pages = [search_page(session, word, head, past, n, size=4) for n in range(1, 6)]
    assert [h.id for p in pages for h in p.results.hits] == whole
    assert len(set(whole)) == len(whole) > 8
    assert [p.more for p in pages] == [len(whole) > 4 * n for n in range(1, 6)]


def test_a_search_finds_exactly_the_clauses_whose_text_in_force_has_the_word(session, repo):
    word = _privacy_spec(repo)
    run_ingest(session, repo)
    for ref in ("v1", None):
        point = resolve(session, ref)
        saying = {v.id for v in list_clauses(session, point) if word in v.text.lower()}
        assert {h.id for h in search(session, word, point, limit=100).hits} == saying
