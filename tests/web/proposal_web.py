"""Fixtures for the proposal pages and API: a governed spec, accounts with tokens and sessions, an app."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from proposal_helpers import HEADINGS, build_world
from repo_builder import RepoBuilder
from sqlalchemy.pool import NullPool

from registry.accounts.actors import Actor
from registry.accounts.credentials import create_token, start_session
from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine, session_scope


@dataclass
class Gov:
    """The app, its repo, and per user: the Actor, an API token and a login session key."""

    app: Flask
    repo: RepoBuilder
    users: dict[str, Actor]
    tokens: dict[str, str]
    keys: dict[str, str]

    def api(self, who: str | None) -> dict[str, str]:
        """Headers that act as a user through the API (none for anonymous)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def browser(self, who: str | None) -> FlaskClient:
        """A test client logged in as a user (or anonymous), with a known CSRF token."""
        client = self.app.test_client()
        with client.session_transaction() as sess:
            sess["csrf"] = "csrf-token"
            if who:
                sess["sid"] = self.keys[who]
        return client

    def propose(self, key: str = "respect_privacy", body: str = "Never reveal personal data.") -> int:
        """A new open proposal by Ada through the API; its number."""
        data = {"title": "Tighten", "rationale": "Clearer.",
                "changes": [{"kind": "change", "id": key, "text": f"{HEADINGS[key]}\n\n{body}\n"}]}
        response = self.app.test_client().post("/api/v1/proposals", json=data, headers=self.api("ada"))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def ingest(self) -> None:
        """Ingest what is new on the branch, as `specreg ingest` would."""
        from registry.gitsource import SpecSource
        from registry.ledger.ingest import ingest

        engine = make_engine(self.app.config["DATABASE_URL"], poolclass=NullPool)
        with SpecSource(self.repo.path) as source, session_scope(engine, write=True) as s:
            ingest(s, source)
        engine.dispose()

    def set_assignment(self, key: str, owner: str, present: bool) -> None:
        """Make a registry assignment exist (or not) directly, as root: a known state for a test to start from."""
        from registry.owners.assignments import assign, assigned_owners, unassign

        engine = make_engine(self.app.config["DATABASE_URL"], poolclass=NullPool)
        with session_scope(engine, write=True) as s:
            if (owner in assigned_owners(s, key)) != present:
                (assign if present else unassign)(s, self.users["root"], key, owner, "test setup")
        engine.dispose()


def _governed(url: str, repo: RepoBuilder) -> tuple[dict[str, Actor], dict[str, str], dict[str, str]]:
    """Build the world, an API token and a login session per user, committed: (users, tokens, keys)."""
    engine = make_engine(url, poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        tokens = {n: create_token(s, a, a.email)[0] for n, a in world.users.items()}
        keys = {n: start_session(s, a) for n, a in world.users.items()}
    engine.dispose()
    return world.users, tokens, keys


def make_gov(databases, root: Path, proxy_hops: int = 0, **config: object) -> Iterator[Gov]:
    """A copy of the governed world in a database of its own and the repo at root/spec (the world is built once
    per process and backend: Databases.spec_world), and an app over them with its instance folder in root."""
    url, repo, (users, tokens, keys) = databases.spec_world("gov", _governed, root / "spec")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", **config},
                     settings=Settings(url, repo.path, root / "instance", proxy_hops=proxy_hops))
    try:
        yield Gov(app, repo, dict(users), dict(tokens), dict(keys))
    finally:
        app.extensions["specreg.engine"].dispose()
        databases.release(url)


@pytest.fixture
def gov(databases, tmp_path: Path) -> Iterator[Gov]:
    """A governed world of its own per test."""
    yield from make_gov(databases, tmp_path)


@pytest.fixture(scope="module")
def shared_gov(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gov]:
    """One governed world for a module whose tests each work on proposals of their own."""
    yield from make_gov(databases, tmp_path_factory.mktemp("gov"))
