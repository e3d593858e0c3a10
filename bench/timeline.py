"""Where a full ingest's time goes: the writer's phases and both processes' CPU, per shape and backend.

    .venv/bin/python bench/timeline.py                          # the reference shape, SQLite, 3 runs
    .venv/bin/python bench/timeline.py --postgres --shapes reference,generated --runs 5
    .venv/bin/python bench/timeline.py --code ../old-checkout --code .   # two codes, runs alternating

Runs `specreg ingest` of a shape's whole history (as bench/ingest.py does: a fresh database, the
CLI in a child process) with the command's own process timed from inside: when its imports were
done, when ingest asked the history reader for its first batch and got it, how long it then waited
on the reader in all, how long it spent applying commits (CommitApplier.apply) and writing batches
(flush, the audited head move, the checkpoint commit), and when it ended. CPU seconds are the
command's own process (the writer) and its children (the reader process and the git processes).
Each figure is the median of `--runs` runs; times are seconds from the child's start.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

T0 = time.perf_counter()  # the child's start: before it imports anything of Specreg
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARK = "TIMELINE "
PHASES = (("imported", "imports done"), ("asked", "first batch asked"), ("got", "first batch in"),
          ("waits", "waits after it"), ("apply", "applying"), ("write", "writing"), ("end", "end"),
          ("cpu_writer", "CPU writer"), ("cpu_children", "CPU reader+git"))


def _instrument(times: dict[str, float]) -> None:
    """Wrap the writer's seams (the reader's batches, applying a commit, writing a batch) with timers."""
    from registry.ledger import history_stream, ingest
    from registry.ledger.commit_applier import CommitApplier

    times.update(imported=time.perf_counter() - T0, waits=0.0, apply=0.0, write=0.0)
    received = history_stream._received

    def timed_batches(conn: Any, process: Any) -> Iterator[Any]:
        batches = received(conn, process)
        while True:
            t = time.perf_counter()
            try:
                batch = next(batches)
            except StopIteration:
                return
            if "asked" not in times:
                times["asked"], times["got"] = t - T0, time.perf_counter() - T0
            else:
                times["waits"] += time.perf_counter() - t
            yield batch

    def summed(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                times[name] += time.perf_counter() - t
        return wrapper

    history_stream._received = timed_batches  # type: ignore[assignment]
    ingest._write = summed("write", ingest._write)  # type: ignore[assignment]
    CommitApplier.apply = summed("apply", CommitApplier.apply)  # type: ignore[method-assign]


def child(argv: list[str]) -> int:
    """In the child: run the command as `specreg` does, timed; the figures go to stderr as one JSON line."""
    import gc
    import resource

    from registry import cli

    times: dict[str, float] = {}

    def imported() -> None:
        gc.freeze()
        _instrument(times)
    gc.freeze()
    code = cli.main(argv, imported=imported)
    times["end"] = time.perf_counter() - T0
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    times["cpu_writer"] = own.ru_utime + own.ru_stime
    times["cpu_children"] = kids.ru_utime + kids.ru_stime
    print(MARK + json.dumps(times), file=sys.stderr)
    return code


def one_run(repo: Path, kind: str, scratch: Path, code: Path = ROOT) -> dict[str, float]:
    """One full ingest of `repo` into a fresh database of `kind` by the Specreg checkout `code`; the child's figures."""
    from bench.measure import database, environment

    url, drop = database(kind, scratch)
    try:
        env = dict(environment(), SPECREG_DATABASE_URL=url, SPECREG_REPO=str(repo),
                   SPECREG_INSTANCE=str(scratch / f"instance-{time.monotonic_ns()}"))
        subprocess.run([sys.executable, "-m", "registry", "init"], env=env, cwd=code, check=True, capture_output=True)
        done = subprocess.run([sys.executable, __file__, "--child", str(code), "ingest", "--json"], env=env, cwd=code,
                              capture_output=True, text=True)
    finally:
        drop()
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARK)]
    if done.returncode or not lines:
        sys.exit(f"specreg ingest failed:\n{done.stdout}\n{done.stderr}")
    figures: dict[str, float] = json.loads(lines[-1][len(MARK):])
    return figures


def table(rows: list[tuple[str, str, list[dict[str, float]]]]) -> str:
    """Medians of each phase, one line per shape and backend."""
    width = max([11] + [len(backend) + 1 for _shape, backend, _runs in rows])
    out = [f"{'shape':<12}{'backend':<{width}}" + "".join(f"{label:>18}" for _key, label in PHASES)]
    for shape, backend, runs in rows:
        cells = []
        for key, _label in PHASES:
            values = [r[key] for r in runs if key in r]
            cells.append(f"{statistics.median(values):>17.2f}s" if values else f"{'-':>18}")
        out.append(f"{shape:<12}{backend:<{width}}" + "".join(cells))
    return "\n".join(out)


def main() -> int:
    """Measure each shape on each backend `--runs` times; print the medians."""
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, sys.argv[2])  # the checkout whose code is measured
        return child(sys.argv[3:])
    from bench.ingest import SHAPES, chosen, corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="reference", help="comma-separated shapes (default: reference)")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor for every shape")
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--runs", type=int, default=3, help="runs per shape and backend (default 3)")
    parser.add_argument("--code", type=Path, action="append",
                        help="a Specreg checkout to measure (default: this one); given twice or more, the runs "
                             "alternate between them, one row each")
    args = parser.parse_args()
    names = chosen(parser, args.shapes, args.runs)
    codes = [c.resolve() for c in args.code] if args.code else [ROOT]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            c = corpus(name, SHAPES[name][1].scaled(args.scale))
            repo = Path(tmp) / name
            shutil.copytree(c.path, repo)
            for kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
                runs: dict[Path, list[dict[str, float]]] = {code: [] for code in codes}
                for _ in range(args.runs):
                    for code in codes:  # alternating, so a change in the machine's load hits every code alike
                        runs[code].append(one_run(repo, kind, Path(tmp), code))
                label = (lambda code: f" {code.name}") if len(codes) > 1 else (lambda code: "")
                rows += [(name, kind + label(code), runs[code]) for code in codes]
    print(table(rows))
    print("\n(seconds from the command's start; the median of each column over the runs. A run reading "
          "too few commits for a reader process has no 'first batch' or 'waits' figures.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
