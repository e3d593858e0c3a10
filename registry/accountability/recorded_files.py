"""The OWNERS.toml, policy.toml and frameworks.toml versions the database recorded are the files git holds.

All three are read from the database wherever they apply (who may approve a clause; how many
approvals it needs and where governance began; which framework items a clause answers), never
from git again, and no audit event covers them: a version edited or deleted with SQL would change
a verdict or a coverage report with no commit and no event. So verify reads each recorded
version's file at its commit again and names any that differs, and names every commit on the
branch that changed one of the files with no recorded version (check `recorded`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding
from registry.frameworks.frameworks_toml import FRAMEWORKS_PATH, parse_frameworks
from registry.gitsource import SpecSource
from registry.models import (
    Commit,
    FrameworksVersion,
    OwnerEntry,
    OwnersVersion,
    Person,
    PolicyVersion,
    Team,
    TeamMembership,
)
from registry.models.live import RecordedFile
from registry.owners.owners_toml import OWNERS_PATH
from registry.owners.recorder import decode as decode_owners
from registry.proposals.policy_toml import POLICY_PATH, parse_policy

Facts = tuple[Hashable, ...]  # what a version says, compared whole: the status first


def _text(content: bytes | None, judge: Callable[[str], Facts]) -> Facts:
    """What an ingest records for a text-kept file's content at a commit (None: no file there)."""
    if content is None:
        return "deleted", "", None
    try:
        return judge(content.decode("utf-8"))
    except UnicodeDecodeError:
        return "invalid", "", None


def _policy_file(content: bytes | None) -> Facts:
    def judge(text: str) -> Facts:
        parsed = parse_policy(text).policy
        return ("valid", text, parsed.governance.start) if parsed else ("invalid", text, None)
    return _text(content, judge)


def _frameworks_file(content: bytes | None) -> Facts:
    return _text(content, lambda text: ("valid" if parse_frameworks(text).valid else "invalid", text, None))


def _owners_file(content: bytes | None) -> Facts:
    """As the OWNERS.toml watcher records it: status, listed people, entries and team members."""
    if content is None:
        return "deleted", (), (), ()
    parsed = decode_owners(content)
    if not parsed.valid:
        return "invalid", tuple(sorted(parsed.people)), (), ()
    entries = tuple((e.key, e.kind, tuple(e.owners), e.inherit, e.line) for e in parsed.entries)
    teams = tuple(sorted((name, tuple(sorted(members))) for name, members in parsed.teams.items() if members))
    return "valid", tuple(sorted(parsed.people)), entries, teams


def _policy_rows(session: Session, versions: list[PolicyVersion]) -> dict[int, Facts]:
    return {v.id: (v.status, v.text, v.governance_start) for v in versions}


def _frameworks_rows(session: Session, versions: list[FrameworksVersion]) -> dict[int, Facts]:
    return {v.id: (v.status, v.text, None) for v in versions}


def _owners_rows(session: Session, versions: list[OwnersVersion]) -> dict[int, Facts]:
    ids = [v.id for v in versions]
    entries: dict[int, list[Hashable]] = defaultdict(list)
    for e in session.scalars(select(OwnerEntry).where(OwnerEntry.version_id.in_(ids))
                             .order_by(OwnerEntry.version_id, OwnerEntry.position, OwnerEntry.id)):
        entries[e.version_id].append((e.key, e.kind, tuple(e.owners), e.inherit, e.line))
    members: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for version_id, team, email in session.execute(
            select(TeamMembership.version_id, Team.name, Person.email).join(Team, Team.id == TeamMembership.team_id)
            .join(Person, Person.id == TeamMembership.person_id).where(TeamMembership.version_id.in_(ids))):
        members[version_id][team].append(email)
    return {v.id: (v.status, tuple(sorted(v.listed)), tuple(entries[v.id]),
                   tuple(sorted((t, tuple(sorted(m))) for t, m in members[v.id].items()))) for v in versions}


@dataclass(frozen=True)
class RecordedKind:
    """One governance file whose versions the database keeps: how to read the file and the rows alike."""

    path: str
    model: type[RecordedFile]
    from_file: Callable[[bytes | None], Facts]
    from_rows: Callable[[Session, list], dict[int, Facts]]


KINDS = (RecordedKind(OWNERS_PATH, OwnersVersion, _owners_file, _owners_rows),
         RecordedKind(POLICY_PATH, PolicyVersion, _policy_file, _policy_rows),
         RecordedKind(FRAMEWORKS_PATH, FrameworksVersion, _frameworks_file, _frameworks_rows))


def _check(session: Session, source: SpecSource, kind: RecordedKind, changed: list[str]) -> list[Finding]:
    model = kind.model
    found = list(session.execute(select(model, Commit.sha).join(Commit, Commit.seq == model.seq)
                                 .where(model.live, Commit.live).order_by(model.seq, model.id)))
    facts = kind.from_rows(session, [v for v, _ in found])
    findings = []
    for version, sha in found:
        want = kind.from_file(source.read_file(sha, kind.path))
        if facts[version.id] != want:
            findings.append(Finding("recorded", f"{kind.path} at commit {sha[:12]}",
                                    f"the database records a {version.status} version that is not the file git "
                                    f"holds at this commit ({want[0]}): edited behind the registry's back"))
    recorded = {sha for _, sha in found}
    findings += [Finding("recorded", f"{kind.path} at commit {sha[:12]}",
                         f"this commit on the branch changed {kind.path}, but the database records no version of "
                         "it: deleted behind the registry's back, so an older version stays in force")
                 for sha in changed if sha not in recorded]
    return findings


def check_recorded_files(session: Session, source: SpecSource, head: str | None) -> list[Finding]:
    """Each live OWNERS.toml, policy.toml and frameworks.toml version against the file at its commit, and
    each commit up to the ingested `head` that changed one of them against the versions (check `recorded`)."""
    changed: dict[str, list[str]] = defaultdict(list)
    missing = [] if head is None or source.has_commit(head) else [Finding(
        "recorded", f"commit {head[:12]}", "the ingested head is not in the spec repo, so the commits that "
        "changed a governance file cannot be counted: ingest again")]
    for sha, path in source.changed(head, [k.path for k in KINDS]) if head and not missing else ():
        changed[path].append(sha)
    return missing + [f for kind in KINDS for f in _check(session, source, kind, changed[kind.path])]
