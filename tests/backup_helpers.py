"""Shared by the backup tests: scratch databases of either backend, the CLI as JSON, a governed world to back up."""
from __future__ import annotations

import contextlib
import io
import json
import os
import uuid
from pathlib import Path

import pytest
from pg_scratch import PG_ADMIN_URL, SCRATCH_PREFIX, BackgroundDrops, pg_admin, pg_unavailable_reason
from proposal_helpers import STYLE, adopted_world
from repo_builder import GRACE, RepoBuilder
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from registry.backup import tables
from registry.cli import main
from registry.db import make_engine
from registry.proposals import reviews
from registry.proposals.authoring import comment
from registry.proposals.merge import merge
from registry.schema import upgrade


class Scratch:
    """Empty databases of either backend, made on demand and dropped afterwards (in the background: a
    test need not wait for the drops' checkpoints)."""

    def __init__(self, root: Path, drops: BackgroundDrops) -> None:
        self.root, self.drops, self.made = root, drops, []

    def url(self, backend: str) -> str:
        name = f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.root / (name + '.db')}"
        reason = pg_unavailable_reason()
        if reason:
            if os.environ.get("SPECREG_REQUIRE_POSTGRES"):
                pytest.fail(reason)
            pytest.skip(reason)
        with pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop(self) -> None:
        for name in self.made:
            self.drops.drop(name)
        self.made = []


def cli(_capsys: object, *argv: str) -> tuple[int, dict]:
    """`specreg ARGV --json`: the exit code and the parsed output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--json"])
    return code, json.loads(out.getvalue())


def build_governed_world(url: str, repo: RepoBuilder, monkeypatch: pytest.MonkeyPatch, capsys: object = None) -> None:
    """Two merged proposals with approvals, an open one with a request for changes and a comment, a direct
    commit, an acknowledgement, owners from OWNERS.toml, MACed audit events and an anchor on refs/specreg/audit."""
    engine = make_engine(url, poolclass=NullPool)
    upgrade(engine)
    with adopted_world(repo, url, monkeypatch) as (_engine, world):
        s = world.session
        first = world.change("ada", "respect_privacy", "Never reveal personal data.")
        reviews.approve(s, world.users["grace"], first)
        merge(s, repo.path, "main", world.users["ada"], first)
        second = world.change("ada", "be_brief", "Prefer short answers, always.")
        reviews.approve(s, world.users["alan"], second)
        merge(s, repo.path, "main", world.users["root"], second)
        waiting = world.change("barbara", "tone", "Be warm and kind.", heading="## Tone {#tone}")
        reviews.request_changes(s, world.users["root"], waiting, "Kind is implied.")
        comment(s, world.users["ada"], waiting, "I agree with the change.")
    _engine.dispose()
    engine.dispose()
    repo.commit("Direct tone edit", {"spec/style.md": STYLE.replace("Be warm.", "Be warmer.")},
                author=GRACE)
    assert cli(capsys, "ingest")[0] == 0
    sha = repo.head()
    assert cli(capsys, "acknowledge", sha, "--reason", "Typo fix", "--as", "root@example.org")[0] == 0
    assert cli(capsys, "audit", "anchor")[0] == 0
    assert cli(capsys, "verify") == (0, {"ok": True, "findings": []})


def contents(url: str) -> dict[str, list[str]]:
    """Every table's rows as the archive writes them (the ledger's repo path aside: a restore moves the repo)."""
    engine = make_engine(url, poolclass=NullPool)
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in tables.reflect(conn):
            path = Path(f"/tmp/{uuid.uuid4().hex}.jsonl")
            tables.dump(conn, table, path)
            rows = [json.loads(line) for line in path.read_text().splitlines()]
            path.unlink()
            if table.name == "ledger":
                rows = [r | {"repo_path": None} for r in rows]
            out[table.name] = rows
    engine.dispose()
    return out


