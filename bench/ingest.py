"""Ingest benchmark: Specreg's full and incremental ingest against git's own read, on three repo shapes.

    .venv/bin/python bench/ingest.py                       # all three shapes at full size, SQLite
    .venv/bin/python bench/ingest.py --scale 0.1           # a quick small run
    .venv/bin/python bench/ingest.py --shapes reference    # some shapes (generated,reference,single_file)
    .venv/bin/python bench/ingest.py --postgres            # also run the database side on PostgreSQL
    .venv/bin/python bench/ingest.py --repo PATH           # any spec repo, on its checked-out branch

The shapes (bench/corpus/): `generated`, 5,000 commits over 120 small documents; `reference`, a
language reference in mdBook (1,850 commits on master, ~3,000 `r[...]` rule markers, some after
HTML comments, waves of id renames, large files); `single_file`, one 270 KB document with
footnoted examples and six releases. Prints one table: git's read (one `git log --raw` pass + one
`git cat-file --batch`) and Specreg's full ingest (CLI, database writes included), each the median
of `--runs` runs, each ingest run right after a read (every run's ingest time is listed below the
table), the ratio (the median of each run's ingest over the read before it), peak
memory for half and all of the history (the ingest process, and its largest child), one new commit
by `specreg ingest` and inside an already running process, and the explicit ids the generator wrote
at the head that ingest does not show.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import generated, reference, single_file  # noqa: E402
from bench.corpus.base import Corpus, Shape  # noqa: E402
from bench.measure import Row, git_read, measure  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SHAPES: dict[str, tuple[Callable[[Path, Any], Corpus], Shape, Path]] = {
    "generated": (generated.build, generated.GeneratedShape(), Path(generated.__file__)),
    "reference": (reference.build, reference.ReferenceShape(), Path(reference.__file__)),
    "single_file": (single_file.build, single_file.SingleFileShape(), Path(single_file.__file__)),
}


def corpus(name: str, params: Shape) -> Corpus:
    """The shape's repo from the cache, built first when the parameters or the generator changed."""
    build, _default, source = SHAPES[name]
    code = b"".join(p.read_bytes() for p in sorted(source.parent.glob("*.py")))
    digest = hashlib.sha256(repr(params).encode() + code).hexdigest()[:12]
    path = CACHE / f"{name}-{digest}"
    found = Corpus.load(path)
    if found is not None:
        return found
    print(f"building the {name} repo {params} in {path} ...", file=sys.stderr)
    shutil.rmtree(path, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    built = build(path, params)
    built.save()
    return built


def external(repo: Path) -> Corpus:
    """Any spec repo, measured on its checked-out branch; no expectations about its head."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout
    branch = git("symbolic-ref", "--short", "HEAD").strip()
    files = [line.split(None, 4) for line in git("ls-tree", "-r", "-l", branch).splitlines()]
    docs = [(int(size), path) for _m, _t, _s, size, path in files if path.endswith(".md") and not path.startswith("examples/")]
    return Corpus("repo", repo, branch, int(git("rev-list", "--first-parent", "--count", branch)), len(docs),
                  max(docs)[1], frozenset())


def describe(c: Corpus, git_s: float, blobs: int, size: int) -> str:
    """One line on what the shape holds."""
    waves = ", ".join(f"{ids} ids at commit {n}" for n, ids in c.rename_waves)
    return (f"{c.shape}: {c.commits} commits on {c.branch}, {c.documents} documents, {blobs} changed .md blobs "
            f"({size / 1e6:.1f} MB) read by git in {git_s:.2f} s; {len(c.ids_at_head)} explicit ids at the head"
            + (f" ({len(c.templated_ids)} markers after an HTML comment)" if c.templated_ids else "")
            + (f"; {c.renames} ids renamed in the history" if c.renames else "")
            + (f" (waves: {waves})" if waves else "") + (f"; tags {', '.join(c.tags)}" if c.tags else ""))


def table(rows: list[Row]) -> str:
    """The side-by-side table."""
    out = [f"{'shape':<12}{'backend':<11}{'git read':>9}{'full ingest':>12}{'ratio':>7}{'versions':>9}"
           f"{'renames found':>14}{'peak MiB half/full':>19}{'largest child':>14}"
           f"{'1 new commit: command':>22}{'in process':>11}{'ids missing':>12}"]
    for r in rows:
        missing = f"{len(r.missing)}/{len(r.corpus.ids_at_head)}" if r.corpus.ids_at_head else "-"
        out.append(f"{r.corpus.shape:<12}{r.backend:<11}{r.git.seconds:>8.2f}s{r.full:>11.2f}s"
                   f"{r.ratio:>6.1f}x{r.versions:>9}{r.renames_found:>14}"
                   f"{r.peak[0]:>11} / {r.peak[1]:<5}{r.child[0]:>6} / {r.child[1]:<5}"
                   f"{r.command:>21.2f}s{r.in_process * 1000:>8.0f} ms{missing:>12}")
    return "\n".join(out)


def chosen(parser: argparse.ArgumentParser, shapes: str, runs: int) -> list[str]:
    """The shapes a comma-separated `--shapes` names; a usage error for an unknown one or `--runs` under 1."""
    names = [s.strip() for s in shapes.split(",") if s.strip()]
    unknown = [s for s in names if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s) {', '.join(unknown)}; choose from {', '.join(SHAPES)}")
    if runs < 1:
        parser.error("--runs must be at least 1")
    return names


def main() -> int:
    """Build or take the repos, measure each shape on each backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated shapes to measure (default: {','.join(SHAPES)})")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor for every shape (0.1: a quick run)")
    parser.add_argument("--repo", type=Path, help="measure this repo instead of the generated shapes")
    parser.add_argument("--commits", type=int, help="commits of the generated shape (default 5000)")
    parser.add_argument("--documents", type=int, help="documents of the generated shape (default 120)")
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--runs", type=int, default=3,
                        help="git reads and full ingests per shape and backend; the table gives each one's median "
                             "(default 3)")
    args = parser.parse_args()
    names = chosen(parser, args.shapes, args.runs)
    if args.repo:
        corpora = [external(args.repo)]
    else:
        corpora = []
        for name in names:
            params = SHAPES[name][1].scaled(args.scale)
            if name == "generated" and (args.commits or args.documents):
                scaled = generated.GeneratedShape().scaled(args.scale)
                params = generated.GeneratedShape(args.commits or scaled.commits, args.documents or scaled.documents)
            corpora.append(corpus(name, params))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for c in corpora:
            first = git_read(c.path, c.branch)  # (also warms the page cache for the runs)
            print(describe(c, first.seconds, first.blobs, first.bytes), flush=True)
            for kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
                rows.append(measure(c, kind, Path(tmp), args.runs))
    print()
    print(table(rows))
    print("\nfull ingest, each run: " + "; ".join(f"{r.corpus.shape} {r.backend} "
                                                + ", ".join(f"{w:.2f}" for w in r.fulls) for r in rows))
    for r in rows:
        if r.missing:
            templated = len(r.missing & r.corpus.templated_ids)
            print(f"{r.corpus.shape} on {r.backend}: {len(r.missing)} of {len(r.corpus.ids_at_head)} ids missing at the head"
                  f" ({templated} of them right after an HTML comment), e.g. {', '.join(sorted(r.missing)[:5])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
