"""Reads ownership inputs from the database: OWNERS versions, clause trees, assignments, people."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from registry.errors import UnknownOwner
from registry.history.versions import version_at
from registry.ledger.refs import Point, parse_moment
from registry.models import (
    ClauseVersion,
    Commit,
    OwnerAssignment,
    OwnerEntry,
    OwnersVersion,
    Person,
    Team,
    TeamMembership,
)
from registry.owners.owners_toml import TEAM_PREFIX, Entry
from registry.owners.resolution import Node, Owner, Resolver, Rules
from registry.transaction.kept import KeptAnswers
from registry.transaction.tracking import once_per_transaction


@dataclass(frozen=True)
class OwnerRef:
    """A person or a team, as named on the command line or in a URL."""

    kind: str  # person or team
    id: int
    name: str  # the email, or the team's name

    @property
    def ref(self) -> str:
        """The OWNERS.toml spelling: an email or team:NAME."""
        return self.name if self.kind == "person" else TEAM_PREFIX + self.name


def moment_of(session: Session, point: Point) -> datetime | None:
    """The wall-clock moment registry assignments are read at: None (now) at the head."""
    if point.is_head:
        return None
    if point.kind == "date":
        return parse_moment(point.ref)
    return session.get_one(Commit, point.seq).committed_at  # resolving the point loaded the row


# An OWNERS version's rules never change once recorded: they are kept by `version_key`, which a push
# leaves as it was (the owner pages and every verdict read them after each one).
_rules: KeptAnswers[Rules] = KeptAnswers(16)


class OwnersStore:
    """One reader's view; OWNERS versions, people and registry assignments are cached for its lifetime (a request)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rules: dict[int, Rules] = {}
        self._people: dict[str, Person] | None = None
        self._logs: dict[int | None, list[tuple[int, str, str, str, datetime]]] = {}

    def version_at(self, seq: int) -> OwnersVersion | None:
        """The OWNERS version in force at seq; invalid versions never are (the previous one stays)."""
        return once_per_transaction(self.session, (OwnersVersion, seq),
                                    lambda: self.session.scalars(OwnersVersion.in_force_at(seq)).first())

    def version_key(self, seq: int) -> tuple[int, int, str] | None:
        """The OWNERS version in force at seq as answers are kept by it: its id, seq and commit (ids alone
        could name other rows in a database emptied and filled again, or restored over, but a commit's
        OWNERS.toml is always the same text); None when none is."""
        version = self.version_at(seq)
        if version is None:
            return None
        return once_per_transaction(self.session, ("owners version key", version.id), lambda: (
            version.id, version.seq, self.session.scalars(select(Commit.sha).where(Commit.seq == version.seq)).one()))

    def rules_at(self, seq: int) -> Rules:
        """The resolution rules in force at seq (empty before any OWNERS.toml or after its deletion)."""
        key = self.version_key(seq)
        if key is None:
            return Rules()
        if key[0] not in self._rules:
            self._rules[key[0]] = _rules.get(self.session, key, lambda: self._load(key[0]))
        return self._rules[key[0]]

    def _load(self, version_id: int) -> Rules:
        entries = [Entry(e.key, tuple(e.owners), e.inherit, e.line) for e in self.session.scalars(
            select(OwnerEntry).where(OwnerEntry.version_id == version_id).order_by(OwnerEntry.position))]
        return Rules.build(entries, self.members(version_id))

    def members(self, version_id: int) -> dict[str, list[str]]:
        """Team name -> member emails in one OWNERS version."""
        teams: dict[str, list[str]] = {}
        for team, email in self.session.execute(
            select(Team.name, Person.email).join(TeamMembership, TeamMembership.team_id == Team.id)
            .join(Person, Person.id == TeamMembership.person_id)
            .where(TeamMembership.version_id == version_id).order_by(TeamMembership.id)
        ):
            teams.setdefault(team, []).append(email)
        return teams

    def chain(self, clause_id: int, seq: int) -> dict[str, Node] | None:
        """The clause and its ancestors at seq, by id; None when the clause is absent there."""
        nodes = {v.key: Node(v.key, v.document, parent.key if parent else None) for v, parent in self._walk(clause_id, seq)}
        return nodes or None

    def lineages(self, clause_id: int, seq: int) -> frozenset[int]:
        """The lineages whose versions at seq `chain` reads: the clause's (present there or not), its
        ancestors', and each one's parent lineage (absent there, it ends the chain)."""
        walk = self._walk(clause_id, seq)
        return frozenset({clause_id, *(v.clause_id for v, _ in walk), *(v.parent_id for v, _ in walk if v.parent_id)})

    def _walk(self, clause_id: int, seq: int) -> list[tuple[ClauseVersion, ClauseVersion | None]]:
        """The clause's version at seq and its ancestors', child first, each with its parent's (None at the
        top or when absent); an ancestor whose id the walk has passed (a cycle) ends it."""
        walk: list[tuple[ClauseVersion, ClauseVersion | None]] = []
        seen: set[str] = set()
        v = version_at(self.session, clause_id, seq)
        while v is not None and v.key not in seen:
            parent = version_at(self.session, v.parent_id, seq) if v.parent_id else None
            walk.append((v, parent))
            seen.add(v.key)
            v = parent
        return walk

    def owners_of(self, clause_id: int, seq: int, moment: datetime | None) -> tuple[str, list[Owner]] | None:
        """(current id, effective owners) of one clause at (seq, moment); None if it is absent."""
        nodes = self.chain(clause_id, seq)
        if nodes is None:
            return None
        key = next(iter(nodes))
        assigned = self.assigned(moment, clause_id).get(clause_id, [])
        return key, Resolver(self.rules_at(seq), nodes).owners(key, assigned)

    def assigned(self, moment: datetime | None, clause_id: int | None = None) -> dict[int, list[str]]:
        """Registry assignments in force at a moment (None: now): clause lineage -> owner refs."""
        return {cid: list(refs) for cid, refs in self.assignments(moment, clause_id).items()}

    def assignments(self, moment: datetime | None, clause_id: int | None = None) -> dict[int, dict[str, str]]:
        """The same with who made each: clause lineage -> owner ref -> the email of the admin who assigned it."""
        out: dict[int, dict[str, str]] = {}
        for cid, action, ref, by, at in self._log(clause_id):
            if moment is not None and at > moment:
                break  # the log is in time order
            refs = out.setdefault(cid, {})
            if action == "assign" and ref not in refs:
                refs[ref] = by
            elif action == "unassign":
                refs.pop(ref, None)
        return out

    def _log(self, clause_id: int | None) -> list[tuple[int, str, str, str, datetime]]:
        """Every assignment and unassignment (of one lineage, or all), oldest first, read once per store:
        an ownership history asks at each of its events."""
        if clause_id not in self._logs:
            self._logs[clause_id] = self._read_log(None if clause_id is None else [clause_id])
        return self._logs[clause_id]

    def read_logs(self, clause_ids: Iterable[int]) -> None:
        """Read the assignment logs of many lineages in one query (a list of proposals asks for each)."""
        wanted = [c for c in set(clause_ids) if c not in self._logs]
        if wanted:
            logs: dict[int | None, list[tuple[int, str, str, str, datetime]]] = {c: [] for c in wanted}
            for row in self._read_log(wanted):
                logs[row[0]].append(row)
            self._logs.update(logs)

    def _read_log(self, clause_ids: list[int] | None) -> list[tuple[int, str, str, str, datetime]]:
        assigner = aliased(Person)
        q = (select(OwnerAssignment.clause_id, OwnerAssignment.action, Person.email, Team.name, assigner.email,
                    OwnerAssignment.created_at)
             .outerjoin(Person, Person.id == OwnerAssignment.person_id)
             .outerjoin(Team, Team.id == OwnerAssignment.team_id)
             .join(assigner, assigner.id == OwnerAssignment.actor_id)
             .order_by(OwnerAssignment.created_at, OwnerAssignment.id))
        if clause_ids is not None:
            q = q.where(OwnerAssignment.clause_id.in_(clause_ids))
        return [(cid, action, email if email is not None else TEAM_PREFIX + team, by, at)
                for cid, action, email, team, by, at in self.session.execute(q)]

    def assigners(self, owner: Owner, made_by: Mapping[str, str], seq: int) -> tuple[str, ...]:
        """Who made the registry assignments that alone make `owner` an owner (directly or through a team);
        () when OWNERS.toml makes them one. `made_by`: the clause's assignments (owner ref -> assigner)."""
        if owner.source != "registry":
            return ()
        teams = self.rules_at(seq).teams
        return tuple(dict.fromkeys(by for ref, by in made_by.items() if ref == owner.email or (
            ref.startswith(TEAM_PREFIX) and owner.email in teams.get(ref[len(TEAM_PREFIX):], ()))))

    def people(self) -> dict[str, Person]:
        """Every person ever known, by email."""
        if self._people is None:
            self._people = {p.email: p for p in self.session.scalars(select(Person))}
        return self._people

    def team_names(self) -> list[str]:
        """Every team ever declared, by name."""
        return list(self.session.scalars(select(Team.name).order_by(Team.name)))

    def name_of(self, email: str) -> str:
        """A person's display name (their email when nobody listed them)."""
        person = self.people().get(email)
        return person.name if person else email

    def find_owner(self, text: str) -> OwnerRef:
        """A person (by email) or a team (team:NAME or a bare team name); UnknownOwner otherwise."""
        name = text[len(TEAM_PREFIX):] if text.startswith(TEAM_PREFIX) else text
        if not text.startswith(TEAM_PREFIX):
            person = self.session.scalar(select(Person).where(func.lower(Person.email) == text.lower()))
            if person is not None:
                return OwnerRef("person", person.id, person.email)
        team = self.session.scalar(select(Team).where(Team.name == name))
        if team is not None:
            return OwnerRef("team", team.id, team.name)
        raise UnknownOwner(f"no person or team is called {text!r}")


def owners_store(session: Session) -> OwnersStore:
    """The transaction's one owners store (OWNERS rules, people, the assignment log): a page or a list of
    proposals asks it several times at one head; a new one after the transaction writes."""
    return once_per_transaction(session, OwnersStore, lambda: OwnersStore(session))
