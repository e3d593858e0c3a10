"""Fixtures for the web edge: an app on its own migrated database with the test spec ingested."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from repo_builder import RepoBuilder
from spec_fixture import build_spec
from sqlalchemy.pool import NullPool

from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest


@pytest.fixture(scope="module")
def spec(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(database URL, commit shas by name, repo path): the test spec ingested into a fresh database."""
    repo = RepoBuilder(tmp_path_factory.mktemp("web") / "spec")
    shas = build_spec(repo)
    url = databases.fresh()
    engine = make_engine(url, poolclass=NullPool)
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        ingest(session, source)
    engine.dispose()
    yield url, shas, repo.path
    databases.release(url)


@pytest.fixture(scope="module")
def app(spec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The web app on the spec's database."""
    url, _shas, repo = spec
    app = create_app({"TESTING": True},
                     settings=Settings(url, repo, tmp_path_factory.mktemp("instance")))
    yield app
    app.extensions["specreg.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def shas(spec) -> dict[str, str]:
    """Commit shas of the test spec by name."""
    return spec[1]


# The proposal pages' and API's fixtures (a governed spec with accounts): see proposal_web.py.
from proposal_web import gov, shared_gov  # noqa: E402,F401
