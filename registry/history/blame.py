"""Use case: blame a clause: each line of its text with the version that last changed it."""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy.orm import Session

from registry.errors import UnknownVersion
from registry.history.clause_history import HistoryEntry, clause_history
from registry.ledger.refs import Point


@dataclass(frozen=True)
class BlameLine:
    """One line of the clause text and the version that wrote it as it is."""

    number: int
    text: str
    version: HistoryEntry


@dataclass(frozen=True)
class Blame:
    """A clause at a point: its title's and every body line's last change."""

    id: str
    title: str
    title_version: HistoryEntry
    lines: list[BlameLine]
    versions: list[HistoryEntry]  # every version up to the point, oldest first

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"id": self.id, "title": self.title, "title_commit": self.title_version.commit,
                "lines": [{"line": b.number, "text": b.text, "commit": b.version.commit,
                           "author": b.version.author} for b in self.lines]}


def attribute_lines(versions: list[HistoryEntry]) -> list[tuple[str, HistoryEntry]]:
    """Carry each line's author version through the versions, oldest first (pure)."""
    lines: list[tuple[str, HistoryEntry]] = []
    for entry in versions:
        if entry.removed:
            lines = []  # a clause that comes back later is new text, not the old lines returning
            continue
        new = entry.body.split("\n") if entry.body else []
        old = [text for text, _ in lines]
        out: list[tuple[str, HistoryEntry]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            out += lines[i1:i2] if tag == "equal" else [(text, entry) for text in new[j1:j2]]
        lines = out
    return lines


def blame_clause(session: Session, key: str, point: Point) -> Blame:
    """The clause's text at the point, each line with the version and commit that last changed it."""
    versions = [e for e in clause_history(session, key) if e.seq <= point.seq]
    if not versions or versions[-1].removed:
        raise UnknownVersion(f"clause {key!r} did not exist at {point.ref} ({point.sha[:12]})")
    since = max((i for i, e in enumerate(versions) if e.removed), default=-1) + 1
    title_version = versions[since]
    for entry in versions[since + 1:]:
        if entry.title != title_version.title:
            title_version = entry
    lines = [BlameLine(n, text, v) for n, (text, v) in enumerate(attribute_lines(versions), start=1)]
    last = versions[-1]
    return Blame(last.id, last.title, title_version, lines, versions)
