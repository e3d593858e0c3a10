"""Parsing a document of many equal headings: 1k, 4k and 16k `## Same` sections, side by side.

    .venv/bin/python bench/equal_headings.py             # 1,000 / 4,000 / 16,000 headings, best of 3
    .venv/bin/python bench/equal_headings.py --sizes 1000 2000 --repeat 5

Equal headings give equal derived ids, numbered `~2`, `~3`, ... (registry/spec/clause_builder.py).
The numbering used to try every suffix from 2 for each duplicate: 16,000 headings (a 208 KB proposal
text) took 42 s, holding SQLite's write lock. Each row prints the document's size, the best parse
time, the time per heading, and how many times slower than the smallest size it is per heading
(about 1x when parsing stays linear; the old numbering grew about 4x per 4x more headings).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.spec.parser import parse


def document(headings: int) -> str:
    """A document whose `headings` sections all have the same title."""
    return "# Top\n\n" + "".join(f"## Same\n\nbody {i}\n\n" for i in range(headings))


def best_parse(text: str, repeat: int) -> float:
    """The fastest of `repeat` whole parses, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        parse("spec/same.md", text)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    """Print one row per size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 4_000, 16_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'headings':>9} {'KB':>6} {'parse s':>8} {'us/heading':>11} {'vs first':>9}")
    first = None
    for n in args.sizes:
        text = document(n)
        seconds = best_parse(text, args.repeat)
        per = seconds / n * 1e6
        first = first or per
        print(f"{n:>9,} {len(text.encode()) / 1024:>6.0f} {seconds:>8.3f} {per:>11.1f} {per / first:>8.1f}x")


if __name__ == "__main__":
    main()
