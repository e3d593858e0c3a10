"""Pure identity rules: which disappeared clause a newly appeared id continues (a rename).

The score of a pair is difflib's ratio over the two token lists, 2*M/(la+lb), M the tokens matched
in order by SequenceMatcher (the longest common run, then the same on each side of it). Pairs are
taken best first, each side once, at or above a threshold. Scoring every gone id against every
arrived one in Python made a commit that renames hundreds of rules cost seconds, so each step here
leaves fewer pairs to the next, and the pairs taken are exactly the all-pairs matcher's:

1. a file rename carries derived ids across (an index, no scoring);
2. identical token lists pair by hash: their score is 1, above any other pair's;
3. length bounds: a pair whose lengths differ too much to reach the threshold is never compared;
4. rapidfuzz's Indel similarity, in C with the threshold as cutoff, drops the rest. It is
   2*LCS/(la+lb), LCS the longest common subsequence; difflib's M is a common subsequence, so Indel
   is never below difflib's ratio (equal when difflib's runs happen to form a longest one), and a
   pair below the cutoff is below the threshold in difflib's terms too;
5. difflib's ratio, computed only for the pair about to be taken, is the score itself, so scores,
   thresholds and ties are exactly as before.
"""
from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Indel

from registry.spec.parser import document_slug

DEFAULT_SIMILARITY = 0.6
_WORD = re.compile(r"\w+|[^\w\s]")
_SLACK = 1e-9  # float rounding: every bound leans towards keeping a pair, never dropping one
_CUTOFF_MARGIN = 1e-6  # 1e-7 was enough on 30,000 random pairs scored at their own cutoff
_SPELLABLE = 0x110000 - 0x800  # characters outside the surrogate range (not valid text)


@dataclass(frozen=True)
class Candidate:
    """A clause's id, document and text, as seen on one side of a commit."""

    key: str
    document: str
    title: str
    body: str


def words(c: Candidate) -> list[str]:
    """The tokens similarity is measured on: title and body words, lowercased."""
    return _WORD.findall(_text(c))


def _text(c: Candidate) -> str:
    return f"{c.title}\n{c.body}".lower()


def _split(text: str, tokenized: dict[str, list[str]]) -> list[str]:
    """`words` of a `_text`, split once per distinct text (the lists are shared: never changed in place)."""
    found = tokenized.get(text)
    if found is None:
        found = tokenized[text] = _WORD.findall(text)
    return found


def similarity(a: Sequence[str], b: Sequence[str], floor: float = 0.0) -> float:
    """Share of tokens the two texts have in common, in order (0..1); 0 when surely below floor."""
    if not a and not b:
        return 0.0  # two empty clauses say nothing about being the same clause
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # Cheap upper bounds first: most pairs are plainly different clauses.
    if matcher.real_quick_ratio() < max(floor, 1e-9) or matcher.quick_ratio() < max(floor, 1e-9):
        return 0.0
    return matcher.ratio()


def _spell(texts: list[list[str]]) -> list[str] | list[list[int]]:
    """Each token list as a string of one character per distinct token (C-speed compares), or ints.

    difflib and rapidfuzz only ask whether two tokens are equal, so either spelling scores the same.
    """
    # Numbered in order of first appearance; dict.fromkeys keeps that order, and runs in C.
    numbers = {token: n for n, token in enumerate(dict.fromkeys(chain.from_iterable(texts)))}
    if len(numbers) > _SPELLABLE:  # more distinct tokens than characters
        return [[numbers[t] for t in tokens] for tokens in texts]
    letters = {token: chr(n if n < 0xD800 else n + 0x800) for token, n in numbers.items()}
    return ["".join(map(letters.__getitem__, tokens)) for tokens in texts]


def length_bounds(length: int, threshold: float) -> tuple[int, int]:
    """The partner lengths that can reach the threshold (0 < t <= 1) with a list this long, inclusive.

    The score is at most 2*min(la, lb)/(la+lb), so lb lies within [la*t/(2-t), la*(2-t)/t].
    """
    low = math.ceil(length * threshold / (2 - threshold) - _SLACK)
    high = math.floor(length * (2 - threshold) / threshold + _SLACK)
    return max(low, 1), high


def _bounded(old_texts: Sequence[Sequence[Hashable]], new_texts: Sequence[Sequence[Hashable]],
             threshold: float) -> Iterator[tuple[float, int, int]]:
    """(upper bound of the score, new index, old index) of every pair that may reach the threshold.

    Only gone texts of a length that can reach the threshold are compared (a slice of them sorted
    by length), by rapidfuzz in C with the threshold as cutoff. Its Indel similarity is never
    below difflib's ratio; a hair is added so that float rounding cannot put it below either.
    rapidfuzz tests a normalized cutoff at about single precision (a score of exactly 0.6 fails a
    cutoff of 0.6 - 1e-9), so the cutoff given to it is lowered by _CUTOFF_MARGIN.
    """
    by_length = sorted(range(len(old_texts)), key=lambda g: len(old_texts[g]))
    lengths = [len(old_texts[g]) for g in by_length]
    ordered = [old_texts[g] for g in by_length]
    for a, text in enumerate(new_texts):
        if not text:
            continue  # an empty clause says nothing about being another one
        low, high = length_bounds(len(text), threshold)
        first, last = bisect.bisect_left(lengths, low), bisect.bisect_right(lengths, high)
        for _choice, score, k in process.extract(text, ordered[first:last], scorer=Indel.normalized_similarity,
                                                 score_cutoff=threshold - _CUTOFF_MARGIN, limit=None):
            yield score + _SLACK, a, by_length[first + k]


class _Bounded(NamedTuple):
    """A pair that may reach the threshold, with an upper bound of its score."""

    bound: float
    new_key: str
    old_key: str
    old_text: Sequence[Hashable]
    new_text: Sequence[Hashable]


def _best_first(scored: Sequence[_Bounded], threshold: float, pairs: dict[str, str], taken: set[str]) -> None:
    """Take pairs best score first, ties by new id then old id, each side once (difflib's score).

    Each entry comes with an upper bound of its score. Only an entry whose bound is the best left
    and whose sides are both free gets its difflib ratio (and goes back with it): an exact score
    at the top beats every bound below it, so it is taken; most entries lose a side before that.
    """
    heap = [(-s.bound, s.new_key, s.old_key, False, n) for n, s in enumerate(scored)]
    heapq.heapify(heap)
    while heap:
        _negative, new_key, old_key, exact, n = heapq.heappop(heap)
        if new_key in pairs or old_key in taken:
            continue
        if exact:
            pairs[new_key] = old_key
            taken.add(old_key)
            continue
        score = SequenceMatcher(None, scored[n].old_text, scored[n].new_text, autojunk=False).ratio()
        if score >= threshold:
            heapq.heappush(heap, (-score, new_key, old_key, True, n))


def _file_moves(gone: Sequence[Candidate], arrived: Sequence[Candidate],
                file_renames: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """Derived ids that only changed because their document was renamed: {new key: old key}, taken."""
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    expected: dict[tuple[str, str], list[str]] = {}  # (new document, new key) -> gone keys, in order
    for old in gone:
        target = file_renames.get(old.document)
        old_prefix = document_slug(old.document) + ":"
        if target is not None and old.key.startswith(old_prefix):
            new_key = document_slug(target) + ":" + old.key[len(old_prefix):]
            expected.setdefault((target, new_key), []).append(old.key)
    for new in arrived:
        for old_key in expected.get((new.document, new.key), ()):
            if old_key not in taken:
                pairs[new.key] = old_key
                taken.add(old_key)
                break
    return pairs, taken


def _take_twins(gone: Mapping[str, str], arrived: Sequence[tuple[str, str]], pairs: dict[str, str],
                taken: set[str]) -> None:
    """Pair the same text gone under one id and arrived under another when no other text can tie with it.

    Equal token lists are equal texts once whitespace is dropped: the tokens hold every other
    character, and str.split's whitespace is the pattern's \\s (both Python's isspace; a test checks).
    So when one gone and one arrived text, the same, are all that squeeze to that form, they are
    the only pair of their token list, which `_take_identical` would take: taken here, unsplit.
    """
    squeezed: dict[str, tuple[list[str], list[str]]] = {}  # form -> (gone ids, arrived ids)
    for key, text in gone.items():
        squeezed.setdefault("".join(text.split()), ([], []))[0].append(key)
    arrivals: dict[str, int] = {}
    for key, text in arrived:
        squeezed.setdefault("".join(text.split()), ([], []))[1].append(key)
        arrivals[key] = arrivals.get(key, 0) + 1
    texts = dict(arrived)
    for form, (olds, news) in squeezed.items():
        if form and len(olds) == 1 and len(news) == 1 and arrivals[news[0]] == 1 and gone[olds[0]] == texts[news[0]]:
            pairs[news[0]] = olds[0]
            taken.add(olds[0])


def _take_identical(gone: dict[str, list[str]], arrived: list[tuple[str, list[str]]],
                    pairs: dict[str, str], taken: set[str]) -> None:
    """Pair identical non-empty token lists as best-first would at score 1: by new id, then old id."""
    olds_by_text: dict[tuple[str, ...], deque[str]] = {}
    for key in sorted(gone):
        if gone[key]:
            olds_by_text.setdefault(tuple(gone[key]), deque()).append(key)
    texts_by_new_key: dict[str, list[tuple[str, ...]]] = {}
    for key, tokens in arrived:
        text = tuple(tokens)
        if text in olds_by_text:
            texts_by_new_key.setdefault(key, []).append(text)
    for new_key in sorted(texts_by_new_key):
        # Each old id has one text, so a text's lowest untaken old id is the front of its queue.
        fronts = [olds_by_text[text] for text in texts_by_new_key[new_key] if olds_by_text[text]]
        if fronts:
            best = min(fronts, key=lambda queue: queue[0])
            pairs[new_key] = best.popleft()
            taken.add(pairs[new_key])


def match_renames(
    gone: Sequence[Candidate],
    arrived: Sequence[Candidate],
    threshold: float = DEFAULT_SIMILARITY,
    file_renames: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Pair arrived ids with gone ids they rename: {new key: old key}.

    A file rename carries derived ids across first; then pairs are taken best-similarity first,
    each side used once, and only at or above the threshold, so a new clause is never linked to
    a deleted one it merely resembles a little. Ties are broken by new id, then old id.
    """
    pairs, taken = _file_moves(gone, arrived, file_renames or {})
    gone_texts = {g.key: _text(g) for g in gone if g.key not in taken}  # one text per id: the last
    arrived_texts = [(a.key, _text(a)) for a in arrived if a.key not in pairs]
    if not gone_texts or not arrived_texts or threshold > 1:
        return pairs
    if threshold > 0:
        _take_twins(gone_texts, arrived_texts, pairs, taken)
    tokenized: dict[str, list[str]] = {}  # a renamed clause's text is often its gone twin's: split once
    rest_gone = {key: _split(text, tokenized) for key, text in gone_texts.items() if key not in taken}
    rest_new = [(key, _split(text, tokenized)) for key, text in arrived_texts if key not in pairs]
    if not rest_gone or not rest_new:
        return pairs
    if threshold <= 0:  # every pair qualifies, nothing can be pruned
        scored = [(similarity(old_words, new_words), new_key, old_key)
                  for new_key, new_words in rest_new for old_key, old_words in rest_gone.items()]
        # Best first; ties broken by ids so the result never depends on input order.
        for _score, new_key, old_key in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
            if new_key not in pairs and old_key not in taken:
                pairs[new_key] = old_key
                taken.add(old_key)
        return pairs
    _take_identical(rest_gone, rest_new, pairs, taken)
    old_keys = [key for key in rest_gone if key not in taken]
    new_items = [(key, tokens) for key, tokens in rest_new if key not in pairs]
    spelled = _spell([rest_gone[key] for key in old_keys] + [tokens for _key, tokens in new_items])
    old_texts, new_texts = spelled[:len(old_keys)], spelled[len(old_keys):]
    bounded = [_Bounded(bound, new_items[a][0], old_keys[g], old_texts[g], new_texts[a])
               for bound, a, g in _bounded(old_texts, new_texts, threshold)]
    _best_first(bounded, threshold, pairs, taken)
    return pairs
