"""Use cases: the spec's table of contents and one document's outline, at a point.

Both read each document's clause order (one small JSON list per document) and load clause versions
only for what is shown: the first clause of each document (its title), or one page of a document.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from registry.errors import DocumentUnreadable, NotFound
from registry.history.queries import ClauseView, clauses_in, outline_at
from registry.history.versions import versions_at
from registry.ledger.refs import Point, iso
from registry.models import Commit, DocumentVersion
from registry.paging import Page, Window, window

DOCUMENT_PAGE_SIZE = 500  # clauses per page of a document's outline
CLAUSE_PAGE_SIZE = 500  # clauses per page of `/api/v1/clauses?page=N` (about 60 KB)


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


@dataclass(frozen=True)
class UnreadableDocument:
    """A document whose text in git could not be read since `commit`; the ledger still shows its last readable text."""

    path: str
    commit: str
    date: datetime
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """{"path", "commit", "date", "reason"}."""
        return {"path": self.path, "commit": self.commit, "date": iso(self.date), "reason": self.reason}

    @property
    def message(self) -> str:
        """One sentence for pages and errors."""
        return f"{self.path} could not be read since commit {self.commit[:12]} ({self.reason})"


LatestVersion = Row[list[int], int, str | None]


def latest_version(session: Session, path: str, seq: int) -> LatestVersion | None:
    """The document's version in force at seq: (clause_ids, seq, unreadable); None before it existed."""
    return session.execute(
        select(DocumentVersion.clause_ids, DocumentVersion.seq, DocumentVersion.unreadable)
        .where(DocumentVersion.path == path, DocumentVersion.seq <= seq, DocumentVersion.live)
        .order_by(DocumentVersion.seq.desc(), DocumentVersion.id.desc()).limit(1)).first()


def unreadable_since(session: Session, path: str, seq: int) -> UnreadableDocument | None:
    """When the document's versions up to seq have been unreadable since (the first of the current run), else None."""
    return unreadable_from(session, path, seq, latest_version(session, path, seq))


def unreadable_from(session: Session, path: str, seq: int, latest: LatestVersion | None) -> UnreadableDocument | None:
    """`unreadable_since` when the caller has read the document's `latest_version` at seq already."""
    if latest is None or latest.unreadable is None:
        return None
    readable = session.scalar(select(func.max(DocumentVersion.seq)).where(
        DocumentVersion.path == path, DocumentVersion.seq <= seq, DocumentVersion.live,
        DocumentVersion.unreadable.is_(None))) or 0
    since = session.execute(
        select(Commit.sha, Commit.committed_at).join(DocumentVersion, DocumentVersion.seq == Commit.seq)
        .where(DocumentVersion.path == path, DocumentVersion.seq > readable, DocumentVersion.live)
        .order_by(DocumentVersion.seq).limit(1)).one()
    return UnreadableDocument(path, since.sha, since.committed_at, latest.unreadable)


def require_readable(session: Session, paths: Iterable[str], seq: int) -> None:
    """DocumentUnreadable (409) when git's text of any of these documents could not be read at seq."""
    for path in sorted(set(paths)):
        found = unreadable_since(session, path, seq)
        if found is not None:
            raise DocumentUnreadable(f"{found.message}: proposals on it cannot be made or merged until a "
                                     "commit makes it readable again")


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


def clauses_page(session: Session, point: Point, number: int, size: int = CLAUSE_PAGE_SIZE) -> Page[ClauseView]:
    """One page of every clause at the point, by document then document order.

    Counted from the documents' clause orders; only the page's clause versions are loaded.
    """
    ids = [cid for ids in outline_at(session, point.seq).values() for cid in ids]
    w = window(number, size, len(ids))
    return Page(tuple(clauses_in(session, ids[w.offset:w.offset + w.size], point.seq)), w)
