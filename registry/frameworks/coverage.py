"""Use cases: which clauses answer each item of a framework at a point, and which items a clause answers.

Read from the frameworks.toml in force at the point (registry.frameworks.recorder) and the clauses
in force there; `unmapped_clauses` are the clauses that answer no item of the framework asked about.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from registry.errors import UnknownFramework
from registry.frameworks.frameworks_toml import Framework, FrameworksFile, ItemRef
from registry.frameworks.recorder import frameworks_at
from registry.history.queries import ClauseSummary, clause_summaries
from registry.ledger.refs import Point


@dataclass(frozen=True)
class ItemCoverage:
    """One item of a framework and the clauses in force that answer it (document order)."""

    id: str
    title: str
    clauses: list[str]

    def as_dict(self) -> dict[str, Any]:
        """{"id", "title", "clauses"}."""
        return {"id": self.id, "title": self.title, "clauses": self.clauses}


@dataclass(frozen=True)
class FrameworkCoverage:
    """A framework's items at a point, the clauses answering each, and the clauses answering none."""

    framework: str
    title: str
    items: list[ItemCoverage]
    unmapped_clauses: list[str]
    at: Point
    commit: str | None  # the commit that wrote the frameworks.toml in force

    @property
    def uncovered(self) -> list[str]:
        """The ids of the items no clause answers."""
        return [i.id for i in self.items if not i.clauses]

    def as_dict(self) -> dict[str, Any]:
        """{"framework", "items": [{"id", "title", "clauses"}], "uncovered", "unmapped_clauses"}."""
        return {"framework": self.framework, "items": [i.as_dict() for i in self.items],
                "uncovered": self.uncovered, "unmapped_clauses": self.unmapped_clauses}


@dataclass(frozen=True)
class FrameworkSummary:
    """A framework in the index: its name, title and how many of its items some clause answers."""

    name: str
    title: str
    items: int
    covered: int

    def as_dict(self) -> dict[str, Any]:
        """{"name", "title", "items", "covered"}."""
        return {"name": self.name, "title": self.title, "items": self.items, "covered": self.covered}


@dataclass(frozen=True)
class ClauseItem:
    """An item a clause answers, with its framework's title, for the clause page."""

    framework: str
    framework_title: str
    id: str
    title: str


def _known(file: FrameworksFile) -> str:
    return ", ".join(sorted(file.frameworks)) or "none (the spec repo has no usable frameworks.toml at this point)"


def coverage_of(framework: Framework, answers: dict[str, list[ItemRef]], clauses: list[ClauseSummary], at: Point,
                commit: str | None) -> FrameworkCoverage:
    """The coverage of one framework over the clauses, given the items each clause answers (pure)."""
    answering: dict[str, list[str]] = {i.id: [] for i in framework.items}
    unmapped = []
    for c in clauses:
        items = [r.item for r in answers[c.id] if r.framework == framework.name]
        for item in items:
            answering[item].append(c.id)
        if not items:
            unmapped.append(c.id)
    return FrameworkCoverage(framework.name, framework.title,
                             [ItemCoverage(i.id, i.title, answering[i.id]) for i in framework.items],
                             unmapped, at, commit)


def _answers(file: FrameworksFile, clauses: list[ClauseSummary]) -> dict[str, list[ItemRef]]:
    """The items each clause answers, matched once for every framework."""
    return {c.id: file.items_of(c.id) for c in clauses}


def framework_coverage(session: Session, name: str, point: Point) -> FrameworkCoverage:
    """One framework's coverage at the point; UnknownFramework naming the known ones otherwise."""
    source = frameworks_at(session, point.seq)
    framework = source.file.frameworks.get(name)
    if framework is None:
        raise UnknownFramework(f"no framework {name!r} in frameworks.toml at {point.ref or point.sha[:12]}; "
                               f"known: {_known(source.file)}")
    clauses = clause_summaries(session, point)
    return coverage_of(framework, _answers(source.file, clauses), clauses, point, source.commit)


def all_coverage(session: Session, point: Point) -> list[FrameworkCoverage]:
    """Every framework's coverage at the point, in file order (empty when there is no frameworks.toml)."""
    source = frameworks_at(session, point.seq)
    if not source.file.frameworks:
        return []
    clauses = clause_summaries(session, point)
    answers = _answers(source.file, clauses)
    return [coverage_of(f, answers, clauses, point, source.commit) for f in source.file.frameworks.values()]


def framework_index(session: Session, point: Point) -> list[FrameworkSummary]:
    """The frameworks at the point with how many of their items are answered."""
    return [FrameworkSummary(c.framework, c.title, len(c.items), len(c.items) - len(c.uncovered))
            for c in all_coverage(session, point)]


def clause_items(session: Session, clause_id: str, point: Point) -> list[ClauseItem]:
    """The framework items a clause answers at the point, in file order."""
    file = frameworks_at(session, point.seq).file
    out = []
    for ref in file.items_of(clause_id):
        framework = file.frameworks[ref.framework]
        item = framework.item(ref.item)
        if item is not None:  # the parser kept only references to known items
            out.append(ClauseItem(framework.name, framework.title, item.id, item.title))
    return out
