"""What starting a command costs: modules the one-commit `specreg ingest` path must not import."""
from __future__ import annotations

import json
import os
import subprocess
import sys

DOC = "# Rules {#rules}\n\n## Be honest {#be_honest}\n\nSay what is true.\n"


def _loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which must print nothing)."""
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True, env=env).stdout
    return set(out.split())


def test_loading_the_models_imports_no_database_dialect():
    # A postgresql_where= on a model made every SQLite command import the PostgreSQL dialect (~45 ms).
    loaded = _loaded_after("import registry.models")
    assert not {m for m in loaded if m.startswith("sqlalchemy.dialects.")}


def test_ingesting_a_new_commit_imports_neither_gitpython_the_git_writer_werkzeug_nor_another_backends_dialect(
        repo, database_url, tmp_path):
    repo.commit("one", {"spec/rules.md": DOC})
    env = dict(os.environ, SPECREG_DATABASE_URL=database_url, SPECREG_REPO=str(repo.path))
    report = tmp_path / "report.json"
    loaded = _loaded_after("import contextlib\nfrom registry.cli import main\n"
                           f"with open({str(report)!r}, 'w') as out, contextlib.redirect_stdout(out):\n"
                           "    assert main(['ingest', '--json']) == 0", env)
    assert json.loads(report.read_text())["commits"] == 1
    assert "registry.gitsource.writer" not in loaded
    assert "git" not in loaded  # reading starts git itself: importing GitPython cost ~50 ms
    assert "werkzeug" not in loaded  # for password hashes only: importing it cost ingest's merge watcher ~25 ms
    other = "postgresql" if database_url.startswith("sqlite") else "sqlite"
    assert f"sqlalchemy.dialects.{other}" not in loaded


def test_the_entry_point_exits_with_mains_code_after_freezing_what_is_still_alive():
    # run() collects the command's garbage, then freezes the rest so shutdown does not collect
    # SQLAlchemy's and GitPython's module graphs (0.15-0.25 s); output and exit code are main()'s.
    done = subprocess.run([sys.executable, "-c", "import gc, sys\nfrom registry.cli import run\n"
                           "code = run(['--json', 'frobnicate'])\nprint(gc.get_freeze_count() > 0)\nsys.exit(code)"],
                          capture_output=True, text=True)
    error, frozen = done.stdout.strip().splitlines()
    assert done.returncode == 2 and json.loads(error)["error"] == "usage" and frozen == "True"
    module = subprocess.run([sys.executable, "-m", "registry", "--json", "frobnicate"], capture_output=True, text=True)
    assert module.returncode == 2 and json.loads(module.stdout)["error"] == "usage"


def test_the_entry_point_collects_nothing_while_importing_and_again_once_the_command_runs():
    # Collections set off by the imports walked everything imported so far, for next to no garbage.
    probe = ("import gc, sys\nimport registry.cli.ledger as ledger\nfrom registry.cli import run\n"
             "seen = []\nregister = ledger.register\n"
             "ledger.register = lambda *a: seen.append(gc.isenabled()) or register(*a)\n"
             "ledger.cmd_runs = lambda args, ctx: seen.append(gc.isenabled()) or 0\n"
             "code = run(['runs'])\nprint(seen, gc.isenabled())\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split("\n")[0] == "[False, True] True"
