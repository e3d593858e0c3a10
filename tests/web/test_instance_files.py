"""The files Specreg creates for itself: the secret key (one per instance, even when workers race) and the
SQLite database, both readable by their owner only."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from registry.db import make_engine
from registry.web import auth

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the usual umask: files are 0644 unless created otherwise
    yield
    os.umask(old)


def instance(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(instance_path=str(tmp_path / "instance"))


def test_when_two_workers_make_the_key_at_once_the_first_to_finish_wins_and_both_use_it(tmp_path, monkeypatch):
    app, other = instance(tmp_path), {}
    real = auth.secrets.token_urlsafe

    def racing(n: int) -> str:
        if not other:  # another worker makes and keeps its key while this one is making its own
            other["key"] = "pending"
            other["key"] = auth._secret_key(app, None)
        return real(n)

    monkeypatch.setattr(auth.secrets, "token_urlsafe", racing)
    mine = auth._secret_key(app, None)
    kept = (tmp_path / "instance" / "secret_key").read_text()
    assert mine == other["key"] == kept and len(kept) == 64
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["secret_key"]  # no temp file left


def test_the_key_file_is_never_readable_by_others_not_even_for_a_moment(tmp_path):
    # Every file operation the process makes is seen by an audit hook, which notes the key file's mode.
    script = """
import json, os, sys
from types import SimpleNamespace
from registry.web import auth
path, modes = os.path.join(sys.argv[1], "secret_key"), set()
def hook(event, args):
    if os.path.exists(path):
        modes.add(os.stat(path).st_mode & 0o777)
sys.addaudithook(hook)
os.umask(0o022)
auth._secret_key(SimpleNamespace(instance_path=sys.argv[1]), None)
hook("end", ())
print(json.dumps(sorted(modes)))
"""
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "instance")], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    assert json.loads(out) == [0o600]


def test_a_key_file_readable_by_others_is_made_owner_only(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    path.parent.mkdir()
    path.write_text("an old key")
    path.chmod(0o644)
    assert auth._secret_key(instance(tmp_path), None) == "an old key"
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_configured_key_writes_no_file(tmp_path):
    assert auth._secret_key(instance(tmp_path), "configured") == "configured"
    assert not (tmp_path / "instance").exists()


def test_a_new_sqlite_database_and_its_write_ahead_log_are_readable_by_their_owner_only(tmp_path, umask_022):
    path = tmp_path / "instance" / "specreg.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        files = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir()}
    engine.dispose()
    assert files == {"specreg.db": 0o600, "specreg.db-wal": 0o600, "specreg.db-shm": 0o600}


def test_an_existing_sqlite_database_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "shared.db"
    path.touch(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert path.stat().st_mode & 0o777 == 0o640
