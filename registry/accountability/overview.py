"""Use case: the home page: documents with their clause trees, latest releases, recent changes."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from registry.accountability.unapproved import unapproved_count
from registry.history.activity import RecentChange, recent_changes
from registry.history.queries import ClauseView, list_clauses
from registry.history.releases import Release, list_releases
from registry.ledger.refs import Point


@dataclass
class OutlineNode:
    """A clause and the clauses under it."""

    view: ClauseView
    children: list[OutlineNode] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentOutline:
    """One document: its path, the title of its first clause, and its clause tree."""

    path: str
    title: str
    roots: list[OutlineNode]
    size: int


@dataclass(frozen=True)
class Overview:
    """What the home page shows at a point."""

    documents: list[DocumentOutline]
    releases: list[Release]
    recent: list[RecentChange]
    unapproved: tuple[int, int]  # unapproved changes up to the point, and how many are not acknowledged


def outline(views: list[ClauseView]) -> list[DocumentOutline]:
    """Group clauses (in document order) into per-document trees by their parent ids (pure)."""
    docs: dict[str, list[OutlineNode]] = {}
    counts: dict[str, int] = {}
    nodes: dict[tuple[str, str], OutlineNode] = {}
    for v in views:
        node = OutlineNode(v)
        nodes[(v.document, v.id)] = node
        counts[v.document] = counts.get(v.document, 0) + 1
        parent = nodes.get((v.document, v.parent)) if v.parent else None
        (parent.children if parent else docs.setdefault(v.document, [])).append(node)
    return [DocumentOutline(path, roots[0].view.title if roots else path, roots, counts[path])
            for path, roots in docs.items()]


def spec_overview(session: Session, point: Point, releases: int = 5, recent: int = 12) -> Overview:
    """The spec's documents, latest releases, recent changes and unapproved ones, as of the point."""
    return Overview(outline(list_clauses(session, point)), list_releases(session, point)[:releases],
                    recent_changes(session, point, recent), unapproved_count(session, point.seq))
