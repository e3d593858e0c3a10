"""Use case: the home page: a table of contents of the documents, latest releases, recent changes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.accountability.unapproved import unapproved_count
from registry.audit.events import kept_while_standing
from registry.history.activity import RecentChange, recent_changes
from registry.history.documents import DocumentOutline, OutlineNode, outline, table_of_contents
from registry.history.queries import list_clauses
from registry.history.releases import Release, list_releases
from registry.ledger.refs import Point
from registry.transaction.kept import KeptAnswers

__all__ = ["INLINE_OUTLINE_LIMIT", "DocumentOutline", "OutlineNode", "Overview", "outline", "spec_overview"]

# Up to this many clauses in all, the home page shows every document's whole outline (the demo spec
# does); above it, one line per document and each outline on its document page, so the page stays small.
INLINE_OUTLINE_LIMIT = 300


@dataclass(frozen=True)
class Overview:
    """What the home page shows at a point."""

    documents: list[DocumentOutline]
    releases: list[Release]
    recent: list[RecentChange]
    unapproved: tuple[int, int]  # unapproved changes up to the point, and how many are not acknowledged
    clauses: int  # clauses in force in all documents
    inline: bool  # the documents carry their whole outlines


# Everything the home page shows at a point changes only with an ingest (documents, clauses, tags,
# where governance began, a rewrite; a merge marks its proposal merged in the transaction of the
# ingest that reads its commit) or an acknowledgement, and each of those moves
# audit.newest_standing_event. Counting the unapproved changes alone reads every commit up to the
# point (shared: read only).
_overviews: KeptAnswers[Overview] = KeptAnswers(16)


def spec_overview(session: Session, point: Point, releases: int = 5, recent: int = 12,
                  inline_limit: int = INLINE_OUTLINE_LIMIT) -> Overview:
    """The spec's documents, latest releases, recent changes and unapproved ones, as of the point."""
    return kept_while_standing(_overviews, session, (point.seq, releases, recent, inline_limit),
                               lambda: _overview(session, point, releases, recent, inline_limit))


def _overview(session: Session, point: Point, releases: int, recent: int, inline_limit: int) -> Overview:
    docs = table_of_contents(session, point.seq)
    total = sum(d.size for d in docs)
    inline = total <= inline_limit
    if inline:  # a small spec: the whole tree is cheap and the most useful start page
        docs = outline(list_clauses(session, point))
    return Overview(docs, list_releases(session, point)[:releases], recent_changes(session, point, recent),
                    unapproved_count(session, point.seq), total, inline)
