"""Instructions a full ingest executes, per process (valgrind's callgrind): repeatable on a busy machine.

    .venv/bin/python bench/cpu.py                            # the reference shape, SQLite
    .venv/bin/python bench/cpu.py --shapes generated,single_file --scale 0.1

Wall-clock figures move 2x with the load other processes put on the machine; the instructions a
process executes hardly move, so before/after of a change is compared here (run it on both codes,
same corpus). Runs `specreg init` and then `specreg ingest` of the whole history under callgrind and
prints, in billions of instructions, the command's own process (the writer: start-up, ledger state,
rows) and the history reader process it forks at its start (ledger.standby: reading, parsing, encoding).
git's own processes are not counted. Under callgrind a run takes about 50 times as long.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import SHAPES, corpus  # noqa: E402
from bench.measure import environment  # noqa: E402


def instructions(repo: Path, scratch: Path) -> list[tuple[int, int]]:
    """(pid, instructions) of each Python process of a full ingest, the command's own first."""
    env = dict(environment(), SPECREG_DATABASE_URL=f"sqlite:///{scratch / 'cpu.db'}", SPECREG_REPO=str(repo))
    subprocess.run([sys.executable, "-m", "registry", "init"], env=env, cwd=ROOT, check=True, capture_output=True)
    done = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=no",
                           f"--callgrind-out-file={scratch / 'callgrind.%p'}",
                           sys.executable, "-m", "registry", "ingest", "--json"],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"specreg ingest failed under callgrind:\n{done.stdout}\n{done.stderr}")
    found = [(int(pid), int(n)) for pid, n in re.findall(r"==(\d+)== Collected : (\d+)", done.stderr)]
    main = int(re.findall(r"==(\d+)== Command:", done.stderr)[0])  # the first process valgrind started
    return sorted(found, key=lambda p: p[0] != main)


def main() -> int:
    """Measure each shape's full ingest; print one line per shape."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="reference", help="comma-separated shapes (default: reference)")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor for every shape")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    for name in (s.strip() for s in args.shapes.split(",") if s.strip()):
        if name not in SHAPES:
            parser.error(f"unknown shape {name}; choose from {', '.join(SHAPES)}")
        c = corpus(name, SHAPES[name][1].scaled(args.scale))
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp) / "repo"
            shutil.copytree(c.path, repo)
            counts = instructions(repo, Path(tmp))
        writer = counts[0][1]
        readers = sum(n for _pid, n in counts[1:])
        print(f"{name}: writer {writer / 1e9:.2f} G instructions, reader process {readers / 1e9:.2f} G, "
              f"total {(writer + readers) / 1e9:.2f} G", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
