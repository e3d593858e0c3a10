"""Set up and run Specreg from a fresh clone with only Python 3.11+ and git (stdlib only).

    python3 -m registry.bootstrap demo   # venv, install, demo spec repo, database, ingest, serve
    python3 -m registry.bootstrap test   # venv, install with test extras, run the whole test suite in parallel
    python3 -m registry.bootstrap setup  # venv and install with test extras only (CI's lint steps use it)
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _ensure_venv(extras: str) -> None:
    """Create .venv and (re)install the project when pyproject.toml changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 (bootstrap runs on whatever python3 the user has)
        sys.exit(f"Specreg needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating virtual environment in .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".specreg-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing Specreg{extras} and its dependencies ...", file=sys.stderr)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}{extras}"], check=True)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    """Dispatch `demo`, `test` or `setup`; extra arguments go to `specreg demo` or pytest."""
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    _ensure_venv("[test]")
    if command == "setup":
        return 0
    os.chdir(ROOT)
    if command == "demo":
        return subprocess.call([str(BIN / "specreg"), "demo", *rest])
    # Both cores (or however many there are): the suite is I/O- and CPU-bound in equal parts.
    parallel = [] if any(a.startswith(("-n", "--numprocesses", "--dist")) for a in rest) else ["-n", "auto"]
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *parallel, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
