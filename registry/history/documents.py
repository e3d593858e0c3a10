"""Use cases: the spec's table of contents and one document's outline, at a point.

Both read each document's clause order (one small JSON list per document) and load clause versions
only for what is shown: the first clause of each document (its title), or one page of a document.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import NotFound
from registry.history.queries import ClauseView, clauses_in, outline_at, versions_at
from registry.ledger.refs import Point
from registry.models import DocumentVersion
from registry.paging import Window, window

DOCUMENT_PAGE_SIZE = 500  # clauses per page of a document's outline


@dataclass
class OutlineNode:
    """A clause and the clauses under it."""

    view: ClauseView
    children: list[OutlineNode] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentOutline:
    """One document: its path, the title of its first clause, its clause count and (maybe) its tree.

    `roots` is empty when the tree is not shown (the home page of a large spec).
    """

    path: str
    title: str
    roots: list[OutlineNode]
    size: int


@dataclass(frozen=True)
class DocumentPage:
    """One page of one document's outline."""

    document: DocumentOutline
    window: Window


def outline(views: list[ClauseView]) -> list[DocumentOutline]:
    """Group clauses (in document order) into per-document trees by their parent ids (pure).

    A clause whose parent is not among `views` (on another page) becomes a root.
    """
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


def table_of_contents(session: Session, seq: int) -> list[DocumentOutline]:
    """Every document at seq with its title and clause count, without trees (one version per document)."""
    docs = outline_at(session, seq)
    firsts = versions_at(session, (ids[0] for ids in docs.values() if ids), seq)
    return [DocumentOutline(path, firsts[ids[0]].title if ids and ids[0] in firsts else path, [], len(ids))
            for path, ids in docs.items()]


def document_page(session: Session, path: str, point: Point, number: int = 1,
                  size: int = DOCUMENT_PAGE_SIZE) -> DocumentPage:
    """One page of the document's clause tree at the point; NotFound if it did not exist then."""
    row = session.execute(
        select(DocumentVersion.clause_ids, DocumentVersion.deleted)
        .where(DocumentVersion.path == path, DocumentVersion.seq <= point.seq, DocumentVersion.live)
        .order_by(DocumentVersion.seq.desc(), DocumentVersion.id.desc()).limit(1)
    ).first()
    if row is None or row.deleted:
        raise NotFound(f"no document {path!r} at {point.ref} ({point.sha[:12]})")
    ids = list(row.clause_ids)
    w = window(number, size, len(ids))
    first = versions_at(session, ids[:1], point.seq)
    title = first[ids[0]].title if ids and ids[0] in first else path
    trees = outline(clauses_in(session, ids[w.offset:w.offset + w.size], point.seq))
    return DocumentPage(DocumentOutline(path, title, trees[0].roots if trees else [], len(ids)), w)
