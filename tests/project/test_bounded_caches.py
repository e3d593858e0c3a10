"""Answers kept in a process are bounded by their estimated size as well as their number, and maps of
answers that depend on texts alone keep a digest of the texts, not the texts."""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

import pytest

from registry.accountability import changelog_review
from registry.history import clause_detail, diffs
from registry.lru import LARGEST_SHARE, LruCache, footprint, texts_digest
from registry.owners import queries as owners
from registry.spec.worddiff import Op

TEXT = "x" * 1000  # an answer of about 1 KB


def test_a_map_over_its_budget_drops_the_least_recently_used_answers_first():
    cache: LruCache[str] = LruCache(100, budget=10 * (footprint(10) + footprint(TEXT + "10")))  # ten answers
    for n in range(9):
        cache.get_or_build(n, lambda n=n: TEXT + str(n))
    cache.get_or_build(0, lambda: "built again")  # 0 is used again: 1 is now the least recently used
    cache.get_or_build(9, lambda: TEXT + "9")
    cache.get_or_build(10, lambda: TEXT + "10")
    assert [n for n in range(11) if not cache.has(n)] == [1]
    assert cache.weight <= cache.budget  # type: ignore[operator]


def test_a_map_without_a_budget_is_bounded_by_its_number_of_answers_only():
    cache: LruCache[str] = LruCache(3)
    for n in range(5):
        cache.get_or_build(n, lambda n=n: TEXT * 100 + str(n))
    assert [n for n in range(5) if cache.has(n)] == [2, 3, 4] and cache.weight == 0


def test_an_answer_over_a_quarter_of_the_budget_is_handed_back_but_not_kept():
    cache: LruCache[str] = LruCache(100, budget=LARGEST_SHARE * footprint(TEXT))
    cache.get_or_build("small", lambda: "small")
    huge = TEXT * 10
    assert cache.get_or_build("huge", lambda: huge) is huge
    assert not cache.has("huge") and cache.has("small")


def test_an_answer_put_in_place_of_another_replaces_it_and_its_weight_and_one_too_large_drops_it():
    cache: LruCache[str] = LruCache(100, budget=LARGEST_SHARE * footprint(TEXT * 2))
    cache.get_or_build("a", lambda: TEXT)
    cache.put("a", "small")
    assert cache.peek("a") == "small" and cache.weight == footprint("a") + footprint("small")
    cache.put("a", TEXT * 10)  # over a quarter of the budget: not kept, and the old answer no longer holds
    assert cache.peek("a") is None and cache.weight == 0


def test_a_map_keyed_by_texts_keeps_a_digest_of_them_not_the_texts():
    cache: LruCache[int] = LruCache.by_texts(10, budget=1 << 20)
    old, new = "a" * 3_000_000, "b" * 3_000_000  # larger than the whole budget
    assert cache.get_or_build((old, new), lambda: 1) == 1
    assert cache.has((old, new)) and cache.get_or_build((old, new), lambda: 2) == 1
    assert cache.weight < 1000  # the key kept is a 32-byte digest
    assert not cache.has((new, old)) and not cache.has((old + "b", new[1:]))  # the split between texts counts


def test_the_digest_of_texts_tells_apart_where_one_text_ends_and_the_next_begins():
    assert texts_digest(("ab", "c")) != texts_digest(("a", "bc"))
    assert texts_digest(("ab", "c")) == texts_digest(("ab", "c")) and len(texts_digest(("", ""))) == 32


@dataclass(frozen=True)
class _Entry:
    text: str
    words: list[str]


def test_the_footprint_counts_the_texts_inside_containers_and_dataclasses_once_each():
    text = "y" * 10_000
    one = footprint(_Entry(text, ["a", "b"]))
    assert one > 10_000
    assert footprint([_Entry(text, []), _Entry(text, []), {"k": text}]) < 2 * 10_000  # one text shared three times

    class Opaque:  # neither a container nor a dataclass: its own size only
        def __init__(self) -> None:
            self.held = text
    assert footprint(Opaque()) == sys.getsizeof(Opaque())


def test_threads_keeping_answers_at_once_leave_the_weight_equal_to_what_is_kept():
    cache: LruCache[str] = LruCache(1000, budget=50 * footprint(TEXT))

    def work(offset: int) -> None:
        for n in range(300):
            cache.get_or_build((n + offset) % 120, lambda n=n: TEXT + str(n))
    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = [k for k in range(120) if cache.has(k)]
    assert cache.weight <= cache.budget  # type: ignore[operator]
    assert cache.weight == sum(footprint(k) + footprint(cache.get_or_build(k, str)) for k in kept)


HUGE = "z" * 2_000_000  # a 2 MB clause


def _rewrite(n: int) -> tuple[str, str]:
    return HUGE + str(n), str(n) + HUGE


@pytest.mark.parametrize(("cache", "budget"), [(diffs._word_ops, 32), (diffs._prose, 32),
                                               (changelog_review._excerpts, 16)],
                         ids=["word diffs", "prose diffs", "changelog excerpts"])
def test_a_diff_map_keeps_rewrites_of_2_mb_clauses_within_its_budget_by_digest(cache, budget):
    try:
        for n in range(3 * budget // 4):  # 4 MB answers: three times the budget
            cache.get_or_build(_rewrite(n), lambda n=n: [Op("delete", _rewrite(n)[0]), Op("insert", _rewrite(n)[1])])
        assert budget << 19 < cache.weight <= budget << 20
        assert cache.has(_rewrite(n)) and not cache.has(_rewrite(0))
    finally:
        cache.clear()


@pytest.mark.parametrize(("kept", "budget"), [(clause_detail._details, 64), (owners._owners, 16)],
                         ids=["clause details", "clause owners"])
def test_a_kept_answer_map_keeps_answers_as_large_as_2_mb_clauses_within_its_budget(session, kept, budget):
    try:
        for n in range(3 * budget // 4):
            kept.get(session, ("bounded-caches test", n), lambda n=n: list(_rewrite(n)))
        assert budget << 19 < kept.weight <= budget << 20
        assert kept.peek_many(session, [("bounded-caches test", 0), ("bounded-caches test", n)]).keys() == \
            {("bounded-caches test", n)}
    finally:
        kept.clear()
