"""A small governed spec (rules, owners, policy) and accounts, shared by the proposal tests."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from git_remote import Remote
from repo_builder import RepoBuilder
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.accounts.users import add_user
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.models import Commit, Proposal
from registry.proposals import verdict_memo
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.verdict import verdict

RULES = """# Rules {#rules}

Intro.

## Be honest {#be_honest authority=root}

Never state what you believe to be false.

## Respect privacy {#respect_privacy authority=system}

Do not reveal personal data.

## Be brief {#be_brief}

Prefer short answers.

### Lists {#lists}

Use lists sparingly.
"""
STYLE = """# Style {#style}

Write plainly.

## Tone {#tone}

Be warm.
"""
OWNERS = """[people]
"ada@example.org" = "Ada Byron"
"grace@example.org" = "Grace Hopper"
"alan@example.org" = "Alan Turing"
"barbara@example.org" = "Barbara Liskov"

[owners]
"spec/rules.md" = ["grace@example.org", "alan@example.org"]
"respect_privacy" = ["grace@example.org"]
"be_brief" = ["alan@example.org"]
"""
POLICY = """[defaults]
min_approvals = 1

[authority.root]
min_approvals = 2
"""
PEOPLE = {  # email: (name, role)
    "root@example.org": ("Root Admin", "admin"),
    "ada@example.org": ("Ada Byron", "editor"),
    "grace@example.org": ("Grace Hopper", "viewer"),
    "alan@example.org": ("Alan Turing", "editor"),
    "barbara@example.org": ("Barbara Liskov", "editor"),
    "vic@example.org": ("Vic Viewer", "viewer"),
}
T = TypeVar("T")


@dataclass
class World:
    """The repo, the session and an Actor per short name (root, ada, grace, alan, barbara)."""

    repo: RepoBuilder
    session: Session
    users: dict[str, Actor]

    @property
    def path(self) -> Path:
        """The spec repo."""
        return self.repo.path

    def ingest(self) -> None:
        """Read new commits into the ledger."""
        with SpecSource(self.path) as source:
            ingest(self.session, source)

    def propose(self, who: str, changes: list[ChangeInput], title: str = "Change", draft: bool = False) -> int:
        """A proposal by a user; its number."""
        with SpecSource(self.path) as source:
            return propose(self.session, source, self.users[who], title, "Because.", changes, draft).id

    def change(self, who: str, key: str, body: str, heading: str | None = None) -> int:
        """Propose a new body for one clause of rules.md (heading kept unless given)."""
        return self.propose(who, [ChangeInput("change", key, f"{heading or HEADINGS[key]}\n\n{body}\n")])


HEADINGS = {
    "rules": "# Rules {#rules}",
    "be_honest": "## Be honest {#be_honest authority=root}",
    "respect_privacy": "## Respect privacy {#respect_privacy authority=system}",
    "be_brief": "## Be brief {#be_brief}",
    "lists": "### Lists {#lists}",
    "style": "# Style {#style}",
    "tone": "## Tone {#tone}",
}


def build_world(repo: RepoBuilder, session: Session) -> World:
    """Commit the spec, owners and policy, ingest them, and create the accounts."""
    repo.commit("Spec, owners and policy", {"spec/rules.md": RULES, "spec/style.md": STYLE,
                                             "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    world = World(repo, session, {})
    world.ingest()
    return with_people(world)


def with_people(world: World) -> World:
    """Create the accounts of PEOPLE (the first one the bootstrap admin) and name them in the world."""
    session = world.session
    admin = None
    for email, (name, role) in PEOPLE.items():
        actor = add_user(session, admin, email, name, role, bootstrap=admin is None)
        admin = admin or actor
        world.users[email.split("@")[0]] = actor
    return world


@dataclass(frozen=True)
class Clone:
    """Specreg's clone of a remote, standing in for the RepoBuilder a World reads (only its path)."""

    path: Path


def remote_world(remote: Remote, session: Session, clone: Path) -> World:
    """The spec, owners and policy pushed straight to the remote, synced into Specreg's clone, and the accounts."""
    from registry.ledger.sync import sync

    remote.author.commit("Spec, owners and policy", {"spec/rules.md": RULES, "spec/style.md": STYLE,
                                                     "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    remote.push()
    sync(session, clone, remote.url)
    return with_people(World(Clone(clone), session, {}))  # type: ignore[arg-type]


def without_governance(findings: list) -> list:
    """Verify's findings but the `governance` check's: these scenarios write OWNERS.toml and policy.toml
    straight into git on purpose (the first commit, pushes between a merge's plan and its swap);
    tests/accountability/test_governance_files.py covers that check."""
    return [f for f in findings if f.check != "governance"]


def adopt(world: World) -> None:
    """An admin accepts the first commit (spec, owners and policy written before the registry) on the record."""
    from registry.accountability.acknowledge import acknowledge_commit

    first = world.session.scalar(select(Commit.sha).where(Commit.live).order_by(Commit.seq).limit(1))
    acknowledge_commit(world.session, world.users["root"], first, "Set up before the registry governed this spec")


@contextmanager
def adopted_world(repo: RepoBuilder, database_url: str,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, World]]:
    """A world the CLI finds too (SPECREG_DATABASE_URL, SPECREG_REPO), its first commit adopted, in one
    write session that commits when the block ends; the caller disposes of the engine."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        adopt(world)  # its first commit wrote OWNERS.toml and policy.toml directly
        yield engine, world


def adopted_copy(databases, then: Callable[[World], T], path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, RepoBuilder, T]]:
    """(engine, repo, what then returned): a copy of adopted_world with then(world) done in its write session,
    which is built once per process and backend (Databases.spec_world; the repo copied to path); the CLI finds
    the copy as adopted_world's caller's does. The engine is disposed and the database dropped afterwards."""
    def build(url: str, repo: RepoBuilder) -> T:
        with pytest.MonkeyPatch.context() as mp, adopted_world(repo, url, mp) as (engine, world):
            value = then(world)
        engine.dispose()
        return value

    url, repo, value = databases.spec_world(f"{then.__module__}.{then.__qualname__}", build, path)
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    engine = make_engine(url)
    yield engine, repo, value
    engine.dispose()
    databases.release(url)


def forged_approval(proposal: int | str) -> str:
    """SQL that inserts Grace's approval of the proposal's revision as the registry would, with no audit event."""
    return ("INSERT INTO reviews (proposal_id, revision_id, reviewer_id, printed_name, kind, meaning, digest, comment, "
            f"created_at) SELECT {proposal}, r.id, p.id, 'Grace Hopper', 'approve', 'approved as owner of "
            "respect_privacy', r.digest, '', CURRENT_TIMESTAMP FROM proposal_revisions r, people p "
            f"WHERE r.proposal_id = {proposal} AND p.email = 'grace@example.org'")


def judged_world(repo: RepoBuilder, session: Session) -> World:
    """build_world with a second admin (Big Boss), committed: a session that has written gets fresh verdicts only,
    so each check of kept verdicts starts from a clean one."""
    w = build_world(repo, session)
    w.users["boss"] = add_user(session, w.users["root"], "boss@example.org", "Big Boss", "admin")
    session.commit()
    return w


def fresh_verdicts(world: World) -> dict:
    """Every proposal's verdict computed now, by number."""
    return {p.id: verdict(world.session, p) for p in world.session.scalars(select(Proposal).order_by(Proposal.id))}


def kept_verdicts(world: World) -> dict:
    """Every proposal's verdict as a list keeps it (registry.proposals.verdict_memo), by number."""
    return verdict_memo.verdicts(world.session, world.session.scalars(select(Proposal).order_by(Proposal.id)).all())
