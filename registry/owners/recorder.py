"""The OWNERS.toml watcher: records every version of the file as ingest reads history.

Each version becomes an OwnersVersion with its entries and team memberships. A version that does
not parse is recorded as invalid (never used, so the previous ownership stays in force). Entries
naming ids, documents or patterns that match nothing at that commit are warnings.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from registry.gitsource import RawCommit
from registry.history.queries import list_clauses
from registry.ledger.hooks import IngestWatcher, WarnFn, any_row
from registry.ledger.refs import Point
from registry.models import Account, OwnerEntry, OwnersVersion, Person, Team, TeamMembership
from registry.owners.owners_toml import OWNERS_PATH, TEAM_PREFIX, FileWarning, OwnersFile, id_matches, parse_owners
from registry.owners.store import OwnersStore


@dataclass
class _Pending:
    """A version read during the batch, written in finish()."""

    seq: int
    sha: str
    parsed: OwnersFile | None  # None: the file was deleted


def decode(content: bytes) -> OwnersFile:
    """Bytes to a parsed file; bytes that are not UTF-8 make an invalid version."""
    try:
        return parse_owners(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return OwnersFile(valid=False, warnings=[FileWarning(
            f"OWNERS.toml is not UTF-8 (byte {exc.start}); the previous ownership stays in force")])


class OwnersWatcher(IngestWatcher):
    """Reads the root OWNERS.toml at every commit that changes it."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.pending: list[_Pending] = []
        self._people: dict[str, int] | None = None
        self._teams: dict[str, int] | None = None
        self._documents: dict[str, int | None] | None = None  # document keys in force -> line
        self._gone: tuple[RawCommit, dict[str, str | None]] | None = None

    def recorded(self) -> dict[str, ColumnElement[bool]]:
        """OWNERS.toml, recorded once any version of it was."""
        return {OWNERS_PATH: any_row(OwnersVersion)}

    def watches(self, path: str) -> bool:
        """Only the file at the repo root."""
        return path == OWNERS_PATH

    def on_commit(self, commit: RawCommit, seq: int) -> None:
        """Note documents this commit deletes or renames; checked once its OWNERS change is known."""
        self._check_gone()
        gone = {c.old_path or c.path: c.path if c.status == "R" else None  # old_path: a rename's only
                for c in commit.changes if c.status in ("D", "R") and c.path != OWNERS_PATH}
        self._gone = (commit, gone) if gone else None

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """Parse now (warnings carry this commit); write in finish()."""
        parsed = None if content is None else decode(content)
        for w in parsed.warnings if parsed else ():
            self.warn(commit.sha, path, w.message, w.line)
        self.pending.append(_Pending(seq, commit.sha, parsed))
        if parsed is None or parsed.valid:
            self._documents = {e.key: e.line for e in parsed.entries if e.kind == "document"} if parsed else {}

    def _check_gone(self) -> None:
        """An entry naming a document that just went away leaves its clauses to fall back: say so."""
        if self._gone is None:
            return
        commit, gone = self._gone
        self._gone = None
        for path, line in self._current_documents().items():
            if path in gone:
                what = f"renamed to {gone[path]}" if gone[path] else "deleted"
                self.warn(commit.sha, OWNERS_PATH, f"entry {path!r} names a document this commit {what}; "
                          "its clauses fall back to the next rule until OWNERS.toml follows", line)

    def _current_documents(self) -> dict[str, int | None]:
        if self._documents is None:
            version = OwnersStore(self.session).version_at(2**31 - 1)
            self._documents = {} if version is None else dict(self.session.execute(
                select(OwnerEntry.key, OwnerEntry.line)
                .where(OwnerEntry.version_id == version.id, OwnerEntry.kind == "document")).all())
        return self._documents

    def on_rewind(self, fork_seq: int) -> None:
        """Versions after the fork leave the branch but stay recorded, like clause versions."""
        self.session.execute(OwnersVersion.set_aside_after(fork_seq))
        self._documents = None
        self._sync_active()

    def finish(self) -> None:
        """Write the batch's versions (their commits and clause versions are in by now)."""
        self._check_gone()
        for p in self.pending:
            self._write(p)
        if self.pending:
            self._sync_active()
        self.pending = []

    def _write(self, p: _Pending) -> None:
        status = "deleted" if p.parsed is None else ("valid" if p.parsed.valid else "invalid")
        listed = sorted(p.parsed.people) if p.parsed is not None else []
        version = OwnersVersion(seq=p.seq, path=OWNERS_PATH, status=status, listed=listed)
        self.session.add(version)
        self.session.flush()
        parsed = p.parsed
        if parsed is None or not parsed.valid:
            return
        people = self._person_ids(parsed)
        teams = self._team_ids(parsed.teams)
        rows = [{"version_id": version.id, "team_id": teams[t], "person_id": people[e]}
                for t, members in parsed.teams.items() for e in members]
        if rows:
            self.session.execute(insert(TeamMembership), rows)
        entries = [{"version_id": version.id, "position": i, "key": e.key, "kind": e.kind,
                    "owners": list(e.owners), "inherit": e.inherit, "line": e.line}
                   for i, e in enumerate(parsed.entries)]
        if entries:
            self.session.execute(insert(OwnerEntry), entries)
        self._check_targets(p)

    def _person_ids(self, parsed: OwnersFile) -> dict[str, int]:
        """Every person the version mentions, created on first sight and renamed when it renames them."""
        if self._people is None:
            self._people = {e: i for i, e in self.session.execute(select(Person.id, Person.email))}
        mentioned = dict(parsed.people)
        for ref in [m for ms in parsed.teams.values() for m in ms] + [o for e in parsed.entries for o in e.owners]:
            if not ref.startswith(TEAM_PREFIX):
                mentioned.setdefault(ref, ref)
        for email, name in mentioned.items():
            if email not in self._people:
                person = Person(email=email, name=name, active=True)
                self.session.add(person)
                self.session.flush()
                self._people[email] = person.id
            elif email in parsed.people:
                self.session.execute(update(Person).where(Person.email == email).values(name=name))
        return self._people

    def _team_ids(self, teams: dict[str, tuple[str, ...]]) -> dict[str, int]:
        if self._teams is None:
            self._teams = {n: i for i, n in self.session.execute(select(Team.id, Team.name))}
        for name in teams:
            if name not in self._teams:
                team = Team(name=name)
                self.session.add(team)
                self.session.flush()
                self._teams[name] = team.id
        return self._teams

    def _check_targets(self, p: _Pending) -> None:
        """Warn about entries that name nothing at this commit (the entry is kept: it may apply later)."""
        views = list_clauses(self.session, Point("", p.seq, p.sha, "commit"))
        keys = {v.id for v in views}
        documents = {v.document for v in views}
        for e in p.parsed.entries if p.parsed else ():
            kind = e.kind
            if kind == "clause" and e.key not in keys:
                self.warn(p.sha, OWNERS_PATH, f"no clause has the id {e.key!r} at this commit", e.line)
            elif kind == "document" and e.key not in documents:
                self.warn(p.sha, OWNERS_PATH, f"no spec document {e.key!r} at this commit", e.line)
            elif kind == "pattern" and not any(id_matches(e.key, k) for k in keys):
                self.warn(p.sha, OWNERS_PATH, f"pattern {e.key!r} matches no clause at this commit", e.line)

    def _sync_active(self) -> None:
        """A person without an account is active while the newest usable OWNERS.toml lists them.

        People with an account (`specreg user add`, SSO) are left alone: the account commands
        manage them, so an OWNERS.toml that does not list an admin never deactivates them.
        """
        latest = OwnersStore(self.session).version_at(2**31 - 1)
        listed = list(latest.listed) if latest is not None else []
        self.session.execute(update(Person).where(Person.id.not_in(select(Account.person_id)))
                             .values(active=Person.email.in_(listed)),
                             execution_options={"synchronize_session": False})
