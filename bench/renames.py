"""Rename matching benchmark: the all-pairs difflib matcher against registry.spec.identity, one run.

    .venv/bin/python bench/renames.py                  # three 500 x 500 waves at the default threshold
    .venv/bin/python bench/renames.py --size 1000 --waves 1 --threshold 0.8
    .venv/bin/python bench/renames.py --ingest         # also: full ingests of bench's reference-shaped repo

Each wave is one generated commit in which about `size` ids vanish and `size` appear
(tests/spec/rename_waves.py: a naming scheme change, typo fixes, rewordings, rules moved between
files with new ids, families of near-identical rules, deletions, new rules, empty clauses). Prints,
side by side: the old matcher's time (tests/spec/renames_reference.py, every pair scored by
difflib), the new matcher's best of three, how many difflib matchers each built, and whether both
gave the same pairs. Then how rapidfuzz's Indel similarity relates to difflib's ratio on the wave:
on how many scored pairs they differ, and how many pairs would change if Indel were the score.

With --ingest it also ingests the reference-shaped repo of bench/ingest.py (built on first use into
bench/.cache) into a fresh SQLite database, once with each matcher, each in its own process, and
prints the matcher's share of the whole ingest and whether every commit got the same pairs.
"""
from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "spec")]

import renames_reference  # noqa: E402
from rapidfuzz.distance import Indel  # noqa: E402
from rename_waves import Wave, rename_wave  # noqa: E402

from registry.spec import identity  # noqa: E402
from registry.spec.identity import DEFAULT_SIMILARITY, match_renames, words  # noqa: E402


class _Counting(difflib.SequenceMatcher):
    """difflib's matcher, counting how many get built."""

    built = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _Counting.built += 1
        super().__init__(*args, **kwargs)


class _IndelScore:
    """Stands in for difflib's matcher so that match_renames scores with Indel similarity instead."""

    def __init__(self, _junk: None, a: Sequence[Hashable], b: Sequence[Hashable], autojunk: bool = False) -> None:
        self.a, self.b = a, b

    def ratio(self) -> float:
        return Indel.normalized_similarity(self.a, self.b)


def _timed(fn: Callable[..., dict[str, str]], *args: Any) -> tuple[float, dict[str, str], int]:
    """Wall time, result and difflib matchers built of one call."""
    _Counting.built = 0
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result, _Counting.built


def _indel_versus_difflib(wave: Wave, threshold: float, pairs: dict[str, str]) -> tuple[int, int, int]:
    """Pairs at or above the threshold by Indel, those of them where Indel != difflib, pairs changed if Indel scored."""
    gone = [words(g) for g in wave.gone]
    at_threshold = differ = 0
    for new in wave.arrived:
        new_words = words(new)
        for old_words in gone:
            if new_words and old_words:
                indel = Indel.normalized_similarity(old_words, new_words)
                if indel >= threshold:
                    at_threshold += 1
                    ratio = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).ratio()
                    differ += abs(indel - ratio) > 1e-12
    identity.SequenceMatcher = _IndelScore  # type: ignore[assignment,misc]
    try:
        by_indel = match_renames(wave.gone, wave.arrived, threshold, wave.file_renames)
    finally:
        identity.SequenceMatcher = _Counting
    changed = sum(pairs.get(k) != by_indel.get(k) for k in pairs.keys() | by_indel.keys())
    return at_threshold, differ, changed


def _ingest_with(matcher: str) -> None:
    """Child process: full ingest of the reference-shaped repo with one matcher; JSON to stdout."""
    from bench.ingest import SHAPES, corpus
    from registry import wiring
    from registry.db import make_engine, session_scope
    from registry.gitsource import SpecSource
    from registry.ledger import commit_applier
    from registry.ledger.ingest import ingest
    from registry.schema import upgrade

    repo = corpus("reference", SHAPES["reference"][1])
    match = match_renames if matcher == "new" else renames_reference.reference_match_renames
    spent = [0.0]
    commits: list[list[tuple[str, str]]] = []

    def timed(*args: Any) -> dict[str, str]:
        start = time.perf_counter()
        pairs = match(*args)
        spent[0] += time.perf_counter() - start
        commits.append(sorted(pairs.items()))
        return pairs

    commit_applier.match_renames = timed  # type: ignore[assignment]
    wiring.install()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        start = time.perf_counter()
        with SpecSource(str(repo.path)) as source, session_scope(engine, write=True) as session:
            ingest(session, source, checkpoint=session.commit)
        total = time.perf_counter() - start
        engine.dispose()
    print(json.dumps({"ingest": total, "matching": spent[0], "commits": commits}))


def _ingest_table() -> None:
    """Both matchers' full ingests of the reference-shaped repo, side by side."""
    runs = {}
    for matcher in ("old", "new"):
        done = subprocess.run([sys.executable, __file__, "--ingest-with", matcher], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"ingest with the {matcher} matcher failed:\n{done.stderr}")
        runs[matcher] = json.loads(done.stdout)
    old, new = runs["old"], runs["new"]
    calls = old["commits"]
    print()
    print(f"reference-shaped repo: {len(calls)} commits with vanished and new ids, {sum(len(c) for c in calls)} renames")
    print("| matcher | full ingest (in process, SQLite) | rename matching | share |")
    print("|---|---|---|---|")
    for name, run in (("all pairs (difflib)", old), ("now", new)):
        print(f"| {name} | {run['ingest']:.2f} s | {run['matching']:.2f} s | {run['matching'] / run['ingest']:.0%} |")
    print(f"same pairs in every commit: {'yes' if old['commits'] == new['commits'] else 'NO'}")


def main() -> None:
    """Print old and new matcher side by side on generated rename waves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=DEFAULT_SIMILARITY)
    parser.add_argument("--ingest", action="store_true", help="also ingest the reference-shaped repo with each matcher")
    parser.add_argument("--ingest-with", choices=["old", "new"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_with:
        return _ingest_with(args.ingest_with)
    renames_reference.SequenceMatcher = _Counting  # type: ignore[misc]
    identity.SequenceMatcher = _Counting  # type: ignore[misc]
    reference = renames_reference.reference_match_renames

    print(f"threshold {args.threshold}")
    print("| wave | gone x arrived | pairs | old: all pairs | difflib matchers | new (best of 3) | difflib matchers "
          "| faster | same pairs | pairs >= threshold by Indel | Indel != difflib | pairs changed if Indel scored |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for seed in range(1, args.waves + 1):
        wave = rename_wave(seed, args.size)
        old_time, old_pairs, old_built = _timed(reference, wave.gone, wave.arrived, args.threshold,
                                                wave.file_renames)
        runs = [_timed(match_renames, wave.gone, wave.arrived, args.threshold, wave.file_renames) for _ in range(3)]
        new_time = min(r[0] for r in runs)
        _t, new_pairs, new_built = runs[0]
        indel_pairs, differ, changed = _indel_versus_difflib(wave, args.threshold, new_pairs)
        print(f"| {seed} | {len(wave.gone)} x {len(wave.arrived)} | {len(new_pairs)} | {old_time:.2f} s | {old_built:,} "
              f"| {new_time * 1000:.0f} ms | {new_built:,} | {old_time / new_time:.0f}x "
              f"| {'yes' if new_pairs == old_pairs else 'NO'} | {indel_pairs:,} | {differ:,} | {changed} |")
    if args.ingest:
        _ingest_table()


if __name__ == "__main__":
    main()
