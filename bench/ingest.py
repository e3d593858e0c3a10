"""Ingest benchmark: Specreg's full and incremental ingest against git's own read of the same history.

    .venv/bin/python bench/ingest.py                 # generated repo: 5,000 commits, 120 documents
    .venv/bin/python bench/ingest.py --repo PATH     # any spec repo (branch main)
    .venv/bin/python bench/ingest.py --postgres      # also run the database side on PostgreSQL

Prints one table: git's read (one `git log --raw` pass + one `git cat-file --batch`), Specreg's full
ingest (CLI, database writes included), the ratio, peak memory for half and all of the history (the
ingest process, and its largest child: the history reader process, or git), and
the wall time of `specreg ingest` for one new commit.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.gitsource.writer import NewCommit, Person, Write, import_history, init_repo  # noqa: E402

WORDS = ["assistant", "user", "developer", "must", "should", "never", "always", "respond", "refuse", "explain", "context", "policy", "privacy", "data", "harm", "safety", "honest", "clear", "brief", "tone", "format", "example", "request", "instruction", "system", "content", "tool", "output", "model", "answer", "question", "verify", "source", "claim", "risk"]
PEOPLE = [Person(n, f"{n.split()[0].lower()}@example.org") for n in
          ("Ada Byron", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Katherine Johnson")]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."


def _render(doc: int, clauses: list[dict]) -> bytes:
    out = [f"# Part {doc} {{#part_{doc} authority=system}}\n\nThis part collects rules of group {doc}.\n"]
    for c in clauses:
        attrs = f" {{#{c['id']} authority={c['authority']}}}" if c["id"] else ""
        out.append(f"{'#' * c['level']} {c['title']}{attrs}\n\n{c['body']}\n")
        if c["example"]:
            out.append("~~~\n# an example heading inside a fence\nuser: hello\n~~~\n")
    return "\n".join(out).encode()


def generate(path: Path, commits: int, documents: int, seed: int = 7) -> None:
    """Build a deterministic repo: documents of ~25 clauses, each commit editing one to three of them."""
    rng = random.Random(seed)
    init_repo(path)
    docs: dict[int, list[dict]] = {}
    serial = 0

    def clause() -> dict:
        nonlocal serial
        serial += 1
        return {"id": f"rule_{serial}" if rng.random() < 0.8 else None, "title": f"Rule {serial}",
                "level": rng.choice((2, 2, 3, 3, 4)), "authority": rng.choice(("system", "developer", "user")),
                "body": " ".join(_sentence(rng) for _ in range(rng.randint(2, 5))), "example": rng.random() < 0.1}

    start = datetime(2020, 1, 1, tzinfo=UTC)
    stream = []
    for n in range(commits):
        ops = []
        if n < documents:
            docs[n] = [clause() for _ in range(25)]
            touched = [n]
        else:
            touched = rng.sample(sorted(docs), rng.randint(1, 3))
        for d in touched:
            if n >= documents:
                _mutate(rng, docs[d], clause)
            ops.append(Write(f"spec/part-{d:03d}.md", _render(d, docs[d])))
        stream.append(NewCommit("main", PEOPLE[n % len(PEOPLE)], start + timedelta(hours=3 * n),
                                f"Edit {len(touched)} part(s), change {n}", ops))
    import_history(path, stream)
    subprocess.run(["git", "-C", str(path), "branch", "-f", "half", f"main~{commits // 2}"], check=True)


def _mutate(rng: random.Random, clauses: list[dict], make) -> None:
    kind = rng.random()
    target = rng.choice(clauses)
    if kind < 0.6:
        target["body"] += " " + _sentence(rng)
    elif kind < 0.7:
        target["title"] += " (revised)"
    elif kind < 0.8:
        target["authority"] = rng.choice(("root", "system", "developer", "user", "guideline"))
    elif kind < 0.9:
        clauses.insert(rng.randrange(len(clauses) + 1), make())
    elif len(clauses) > 5:
        clauses.remove(target)


def git_read(repo: Path) -> tuple[float, int]:
    """git's own read: one log --raw pass plus one cat-file --batch for every changed .md blob."""
    t0 = time.perf_counter()
    log = subprocess.run(["git", "-C", str(repo), "log", "--first-parent", "-m", "--reverse", "--raw", "-z",
                          "--no-abbrev", "--format=%x01%H%x00%an%x00%at%x00%B%x00", "main"],
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

    def feed() -> None:
        for sha in shas:
            proc.stdin.write(sha + b"\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    total = 0
    for _ in shas:
        size = int(proc.stdout.readline().split()[2])
        total += len(proc.stdout.read(size + 1))
    writer.join()
    proc.wait()
    return time.perf_counter() - t0, len(shas)


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


def database(kind: str, scratch: Path) -> tuple[str, callable]:
    """A fresh empty database URL and a function that drops it."""
    if kind == "sqlite":
        return f"sqlite:///{scratch / (uuid.uuid4().hex + '.db')}", lambda: None
    name = "specreg_bench_" + uuid.uuid4().hex[:8]
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", f'CREATE DATABASE "{name}"'], check=True)
    drop = lambda: subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c",  # noqa: E731
                                   f'DROP DATABASE "{name}" WITH (FORCE)'], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1/{name}", drop


def measure(repo: Path, kind: str, scratch: Path) -> dict:
    """Full ingest (half and all of the history) and a one-commit incremental ingest on one backend."""
    work = scratch / f"repo-{kind}"
    shutil.copytree(repo, work)
    out = {}
    for label, branch in (("half", "half"), ("full", "main")):
        url, drop = database(kind, scratch)
        env = dict(os.environ, SPECREG_DATABASE_URL=url, SPECREG_REPO=str(work))
        specreg(["init"], env)
        wall, data, rss = specreg(["ingest", "--branch", branch], env)
        out[label] = {"seconds": wall, "rss": rss, "commits": data["commits"], "versions": data["versions"]}
        if label == "full":
            head = subprocess.run(["git", "-C", str(work), "rev-parse", "main"], capture_output=True, text=True).stdout
            import_history(work, [NewCommit("main", PEOPLE[0], datetime(2030, 1, 1, tzinfo=UTC),
                                            "one more", [Write("spec/part-000.md", b"# Part 0 {#part_0}\n\nNew.\n")],
                                            start=head.strip())])
            out["incremental"] = specreg(["ingest"], env)[0]
        drop()
    return out


def main() -> int:
    """Generate or take a repo, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, help="benchmark this repo (needs branches main and half)")
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    args = parser.parse_args()
    repo = args.repo
    if repo is None:
        repo = ROOT / "bench" / ".cache" / f"repo-{args.commits}-{args.documents}"
        if not (repo / ".git").exists():
            print(f"generating {args.commits} commits over {args.documents} documents in {repo} ...", file=sys.stderr)
            shutil.rmtree(repo, ignore_errors=True)
            generate(repo, args.commits, args.documents)
    git_s, blobs = min((git_read(repo) for _ in range(3)), key=lambda r: r[0])
    print(f"repo: {repo}  ({blobs} changed .md blobs read by git)")
    print(f"{'backend':<11}{'git read':>10}{'full ingest':>13}{'ratio':>8}{'versions':>10}"
          f"{'peak MiB (half / full)':>26}{'largest child':>16}{'1 new commit':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
            m = measure(repo, kind, Path(tmp))
            full = m["full"]
            print(f"{kind:<11}{git_s:>9.2f}s{full['seconds']:>12.2f}s{full['seconds'] / git_s:>7.1f}x"
                  f"{full['versions']:>10}{m['half']['rss'][0]:>15} / {full['rss'][0]:<8}"
                  f"{m['half']['rss'][1]:>8} / {full['rss'][1]:<5}{m['incremental']:>14.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
