"""The ingest benchmark's measurements: git's own read, the CLI's ingest, and ingest inside a process."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.base import Corpus, add_commit, add_half_branch

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class GitRead:
    """git's own read of every changed spec blob on the first-parent history."""

    seconds: float
    blobs: int
    bytes: int


@dataclass(frozen=True)
class Row:
    """One shape on one backend."""

    corpus: Corpus
    backend: str
    git: GitRead
    full: float  # seconds, `specreg ingest` of the whole history: the median of `runs` runs
    fulls: tuple[float, ...]  # each run's seconds
    ratio: float  # the median over the runs of each run's seconds over git's read just before it
    versions: int
    peak: tuple[int, int]  # MiB, the ingest process: half and all of the history
    child: tuple[int, int]  # MiB, its largest child: half and all
    command: float  # seconds, `specreg ingest` of one new commit
    in_process: float  # seconds, the median of one-commit ingests in one process after its first
    missing: frozenset[str]  # explicit ids the generator wrote at the head that ingest does not show
    renames_found: int  # clause versions that ingest recorded as continuing another id


def git_read(repo: Path, branch: str) -> GitRead:
    """One `log --raw` pass plus one `cat-file --batch` for every changed .md blob (the floor)."""
    t0 = time.perf_counter()
    log = subprocess.run(["git", "-C", str(repo), "log", "--first-parent", "-m", "--reverse", "--raw", "-z",
                          "--no-abbrev", "--format=%x01%H%x00%an%x00%at%x00%B%x00", branch],
                         capture_output=True, check=True).stdout
    shas = []
    for record in log.split(b"\x01"):
        tokens = record.split(b"\x00")
        for i, tok in enumerate(tokens):
            tok = tok.lstrip(b"\n")
            if tok.startswith(b":") and i + 1 < len(tokens) and tokens[i + 1].endswith(b".md"):
                new = tok.split(b" ")[3]
                if new != b"0" * 40:
                    shas.append(new)
    proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        for sha in shas:
            proc.stdin.write(sha + b"\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    total = 0
    for _ in shas:
        size = int(proc.stdout.readline().split()[2])
        total += len(proc.stdout.read(size + 1)) - 1
    writer.join()
    proc.wait()
    return GitRead(time.perf_counter() - t0, len(shas), total)


def specreg(args: list[str], env: dict[str, str]) -> tuple[float, dict, tuple[int, int]]:
    """Run the CLI in a child; wall seconds, its JSON output, and peak RSS in MiB (it, its largest child)."""
    # VmHWM is this program's own peak: Linux keeps ru_maxrss across exec, so a child started while
    # this process was big (generating the repo) would report this process's peak instead. Its own
    # children (the history reader process of a long ingest, git) report through RUSAGE_CHILDREN.
    code = ("import resource, sys, re; from registry.cli import run; rc = run(sys.argv[1:]); "
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()) if sys.platform == 'linux' else None; "
            "sys.stderr.write('\\nMAXRSS %d %d\\n' % (int(hwm.group(1)) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
            "sys.exit(rc)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args, "--json"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"specreg {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    own, children = (int(kb) // 1024 for kb in done.stderr.rsplit("MAXRSS", 1)[1].split())
    return wall, json.loads(done.stdout), (own, children)


def environment() -> dict[str, str]:
    """The CLI children's environment: this one's, with Python's bytecode cache on, as an installed Specreg has.

    With PYTHONDONTWRITEBYTECODE (set in the development environment) every command compiled the
    registry package from source again, ~50 ms of each one. The cache lives in bench/.cache, not
    beside the sources. No SPECREG_BRANCH: ingest picks the repo's checked-out branch.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("SPECREG_BRANCH", "PYTHONDONTWRITEBYTECODE")}
    return env | {"PYTHONPYCACHEPREFIX": str(HERE / ".cache" / "pycache")}


def database(kind: str, scratch: Path) -> tuple[str, Callable[[], None]]:
    """A fresh empty database URL and a function that drops it."""
    if kind == "sqlite":
        return f"sqlite:///{scratch / (uuid.uuid4().hex + '.db')}", lambda: None
    name = "specreg_bench_" + uuid.uuid4().hex[:8]
    psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c"]
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)

    def drop() -> None:
        subprocess.run([*psql, f'DROP DATABASE "{name}" WITH (FORCE)'], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1/{name}", drop


def in_process(url: str, corpus: Corpus, repo: Path) -> dict:
    """Two one-commit ingests in one process (bench/inprocess.py); its JSON answer."""
    done = subprocess.run([sys.executable, str(HERE / "inprocess.py"), url, str(repo), corpus.branch, corpus.edit_path],
                          capture_output=True, text=True, env=environment())
    if done.returncode:
        sys.exit(f"in-process ingest failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout)


def _nothing() -> None:
    """No database to drop yet."""


def measure(corpus: Corpus, kind: str, scratch: Path, runs: int = 3) -> Row:
    """Full ingest (half of the history, then all of it `runs` times, each right after a git read), then one
    new commit in a process and by command."""
    work = scratch / f"{corpus.shape}-{kind}"
    shutil.copytree(corpus.path, work)
    add_half_branch(work, corpus.branch, corpus.commits)
    base = environment()
    url, drop = database(kind, scratch)
    try:
        env = dict(base, SPECREG_DATABASE_URL=url, SPECREG_REPO=str(work), SPECREG_INSTANCE=str(work.with_name(work.name + "-half")))
        specreg(["init"], env)
        _wall, _data, half = specreg(["ingest", "--branch", "half"], env)
    finally:
        drop()
    # Each ingest run is paired with git's read of the same repo just before it: this machine's speed
    # moves by a third within minutes, and a ratio of two figures taken far apart would carry that.
    walls: list[float] = []
    reads: list[GitRead] = []
    drop = _nothing
    try:
        for n in range(runs):  # each into an empty database of its own; the last one goes on below
            drop()
            url, drop = database(kind, scratch)
            env = dict(base, SPECREG_DATABASE_URL=url, SPECREG_REPO=str(work),
                       SPECREG_INSTANCE=str(work.with_name(f"{work.name}-full{n}")))
            specreg(["init"], env)
            reads.append(git_read(work, corpus.branch))
            wall, data, full = specreg(["ingest"], env)  # no --branch: the repo's checked-out branch
            walls.append(wall)
        inside = in_process(url, corpus, work)
        add_commit(work, corpus.branch, corpus.edit_path, 3)
        command = specreg(["ingest"], env)[0]
    finally:
        drop()
        shutil.rmtree(work, ignore_errors=True)
    git = GitRead(statistics.median(r.seconds for r in reads), reads[0].blobs, reads[0].bytes)
    ratio = statistics.median(wall / read.seconds for wall, read in zip(walls, reads, strict=True))
    return Row(corpus, kind, git, statistics.median(walls), tuple(walls), ratio, data["versions"], (half[0], full[0]),
               (half[1], full[1]), command,
               inside["median"], corpus.ids_at_head - set(inside["ids"]), inside["renames"])
