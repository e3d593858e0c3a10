"""The world bench/load.py runs against: a spec with history on a remote, owners, accounts and tokens.

A scratch PostgreSQL database (created here, dropped by the caller), a bare remote reached over
file://, a spec of `docs` documents with `clauses` clauses each and `commits` later commits that
change a few clauses (so history and diffs have something to show), OWNERS.toml giving each
document to one reviewer, and a policy of one approval. Accounts: proposers (editors, API tokens),
reviewers (the owners, API tokens) and readers (passwords, for the logins).
"""
from __future__ import annotations

import os
import random
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from registry.accountability.acknowledge import acknowledge_commit
from registry.accounts.credentials import create_token
from registry.accounts.users import add_user
from registry.db import make_engine, session_scope
from registry.ledger.sync import sync
from registry.schema import upgrade

WORDS = ["assistant", "user", "developer", "privacy", "honest", "data", "harm", "safe", "refuse", "explain", "context", "policy", "request", "answer", "tool", "content", "clear", "brief", "instruction", "respect", "verify"]
PASSWORD = "load-bench-password-1"  # the readers' (they only log in and read)
GIT_ENV = {"GIT_AUTHOR_NAME": "Author", "GIT_AUTHOR_EMAIL": "author@example.org", "GIT_COMMITTER_NAME": "Author",
           "GIT_COMMITTER_EMAIL": "author@example.org"}


@dataclass(frozen=True)
class Shape:
    """How big the world is."""

    docs: int = 8
    clauses: int = 25
    commits: int = 40
    people: int = 4  # proposers, reviewers and readers each


@dataclass
class World:
    """What the clients need: clause ids by document, who owns which document, tokens, reader emails."""

    database_url: str
    remote: Path
    clauses: dict[str, list[str]]  # document -> clause ids
    owner: dict[str, str]  # document -> reviewer email
    tokens: dict[str, str]  # email -> API token
    proposers: list[str]
    readers: list[str]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."


def _document(name: str, ids: list[str], bodies: dict[str, str]) -> str:
    parts = [f"# {name.title()} {{#{name}}}\n\nIntro.\n"]
    parts += [f"## {cid.replace('_', ' ').title()} {{#{cid}}}\n\n{bodies[cid]}\n" for cid in ids]
    return "\n".join(parts)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=os.environ | GIT_ENV)


def _write(repo: Path, files: dict[str, str], message: str) -> None:
    for path, content in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(content)
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", message)


def build_remote(root: Path, shape: Shape, rng: random.Random) -> tuple[Path, dict[str, list[str]], dict[str, str]]:
    """An author repo with the spec's history, pushed to a bare remote; (remote, clause ids, owners)."""
    author, remote = root / "author", root / "remote.git"
    author.mkdir(parents=True)
    _git(author, "init", "--quiet", "-b", "main")
    clauses = {f"spec/doc{d}.md": [f"d{d}_rule{c}" for c in range(shape.clauses)] for d in range(shape.docs)}
    bodies = {cid: _sentence(rng) for ids in clauses.values() for cid in ids}
    owner = {doc: f"reviewer{d % shape.people}@example.org" for d, doc in enumerate(clauses)}
    people = "".join(f'"{e}" = "Reviewer {e[8]}"\n' for e in sorted(set(owner.values())))
    owners = "[people]\n" + people + "\n[owners]\n" + "".join(f'"{d}" = ["{e}"]\n' for d, e in owner.items())
    files = {doc: _document(Path(doc).stem, ids, bodies) for doc, ids in clauses.items()}
    _write(author, files | {"OWNERS.toml": owners, "policy.toml": "[defaults]\nmin_approvals = 1\n"}, "Spec")
    for n in range(shape.commits):
        doc = rng.choice(list(clauses))
        for cid in rng.sample(clauses[doc], 3):
            bodies[cid] = _sentence(rng)
        _write(author, {doc: _document(Path(doc).stem, clauses[doc], bodies)}, f"Edit {n}")
    subprocess.run(["git", "clone", "--bare", "--quiet", str(author), str(remote)], check=True)
    return remote, clauses, owner


def create_database(admin_url: str) -> str:
    """A new, migrated PostgreSQL database on the server of `admin_url`; its URL."""
    name = f"specreg_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url, poolclass=NullPool)
    upgrade(engine)
    engine.dispose()
    return url


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database `create_database` made."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def populate(database_url: str, first_clone: Path, root: Path, shape: Shape, seed: int = 7) -> World:
    """Build the remote, sync it into the first host's clone, and create the accounts and tokens."""
    remote, clauses, owner = build_remote(root, shape, random.Random(seed))
    engine = make_engine(database_url, poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        sync(s, first_clone, remote.as_uri())
        admin = add_user(s, None, "root@example.org", "Root Admin", "admin", bootstrap=True)
        first = subprocess.run(["git", "rev-list", "--max-parents=0", "main"], cwd=remote, check=True,
                               capture_output=True, text=True).stdout.strip()
        # The first commit wrote OWNERS.toml and policy.toml before the registry governed them: on the record.
        acknowledge_commit(s, admin, first, "Set up before the registry governed this spec")
        proposers = [f"proposer{i}@example.org" for i in range(shape.people)]
        reviewers = sorted(set(owner.values()))
        readers = [f"reader{i}@example.org" for i in range(shape.people)]
        actors = [add_user(s, admin, e, f"Proposer {i}", "editor") for i, e in enumerate(proposers)]
        actors += [add_user(s, admin, e, f"Reviewer {e[8]}", "viewer") for e in reviewers]
        for i, email in enumerate(readers):
            add_user(s, admin, email, f"Reader {i}", "viewer", password=PASSWORD)
        tokens = {a.email: create_token(s, a, a.email)[0] for a in actors}
    engine.dispose()
    return World(database_url, remote, clauses, owner, tokens, proposers, readers)
