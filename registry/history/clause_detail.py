"""Use case: everything the clause page shows about one clause at a point."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.history.activity import Activity, history_activity
from registry.history.clause_history import HistoryEntry, histories
from registry.history.documents import UnreadableDocument, latest_version, unreadable_from
from registry.history.prompts import Prompt, cited_prompts
from registry.history.queries import ClauseView, find_clause, show_clause
from registry.history.versions import headings_at
from registry.ledger.refs import Point
from registry.models import Clause, ClauseKey
from registry.transaction.kept import KeptAnswers

# `[text](#target)` and reference definitions `[label]: #target`: in-text links to other clauses.
_ANCHOR = re.compile(r"(?:\]\(|^\[[^\]]+\]:[ \t]*)#([^\s)\"']+)", re.MULTILINE)


@dataclass(frozen=True)
class ClauseRef:
    """A link to another clause: its current id (the URL) and its title at the point."""

    id: str
    title: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {"id": self.id, "title": self.title}


@dataclass(frozen=True)
class ClauseDetail:
    """A clause at a point with its neighbours, former ids, history and prompts."""

    view: ClauseView
    current_id: str
    former_ids: list[str]
    parent: ClauseRef | None
    children: list[ClauseRef]
    history: list[HistoryEntry]  # versions up to the point, oldest first
    prompts: list[Prompt]
    links: dict[str, str]  # anchors in the text that name clauses -> those clauses' current ids
    activity: Activity
    unreadable: UnreadableDocument | None  # the document's text in git could not be read since a commit

    def as_dict(self) -> dict[str, Any]:
        """The `specreg show` JSON object plus what the page shows."""
        return self.view.detail() | {
            "current_id": self.current_id, "former_ids": self.former_ids,
            "parent_title": self.parent.title if self.parent else None,
            "children": [c.as_dict() for c in self.children],
            "versions": len(self.history), "prompts": [p.as_dict() for p in self.prompts],
            "unreadable": self.unreadable.as_dict() if self.unreadable else None,
        }


def current_id(session: Session, key: str) -> str:
    """The id the clause known as `key` has now (itself unless it is a former id)."""
    return find_clause(session, key).key


# What the clause page shows of a clause at a point comes from ingested rows (its versions, its
# document, prompt files, where governance began) and the merged proposals behind its versions (a
# merge marks its proposal in the transaction of the ingest that reads its commit): each of those
# moves audit.newest_standing_event (shared: read only).
_details: KeptAnswers[ClauseDetail] = KeptAnswers(256, budget=64 << 20)  # 64 MB


def clause_detail(session: Session, key: str, point: Point) -> ClauseDetail:
    """The clause page's content; UnknownClause / UnknownVersion when there is nothing to show."""
    return kept_while_standing(_details, session, (find_clause(session, key).id, point.seq),
                               lambda: _clause_detail(session, key, point))


def _clause_detail(session: Session, key: str, point: Point) -> ClauseDetail:
    view = show_clause(session, key, point)
    lineage = session.get_one(Clause, view.clause_id)
    former = [k for k in session.scalars(select(ClauseKey.key).where(ClauseKey.clause_id == lineage.id, ClauseKey.live)
                                         .order_by(ClauseKey.first_seq)) if k != lineage.key]
    document = latest_version(session, view.document, point.seq)
    parent, children = _neighbours(session, view, document.clause_ids if document else [], point.seq)
    # The lineage is known: looking it up again by id (clause_history) cost a statement per page.
    history = histories(session, [lineage.id], point.seq).get(lineage.id, [])
    return ClauseDetail(view, lineage.key, former, parent, children, history,
                        cited_prompts(session, view.text, point.seq), clause_links(session, view.text),
                        history_activity(session, history, point),
                        unreadable_from(session, view.document, point.seq, document))


def _neighbours(session: Session, view: ClauseView, ids: list[int],
                seq: int) -> tuple[ClauseRef | None, list[ClauseRef]]:
    """The clause's parent and children at seq, children in document order (`ids`: its document's clauses).

    Both are in its own document (a parent is always a heading of the same file), so one index
    seek per clause of that document finds them; scanning versions by parent_id grew with history.
    """
    headings = headings_at(session, ids, seq)
    me = headings.get(view.clause_id)
    up = me[2] if me is not None else None
    parent = ClauseRef(*headings[up][:2]) if up in headings else None
    children = [ClauseRef(*headings[cid][:2]) for cid in ids
                if cid in headings and headings[cid][2] == view.clause_id]
    return parent, children


def clause_links(session: Session, text: str) -> dict[str, str]:
    """Anchors in a Markdown text that name clauses (current or former ids) -> their current ids."""
    targets = set(_ANCHOR.findall(text))
    if not targets:
        return {}
    found = {k: k for k in session.scalars(select(Clause.key).where(Clause.key.in_(targets), Clause.live))}
    rest = targets - set(found)
    if rest:
        rows = session.execute(select(ClauseKey.key, Clause.key).join(Clause, Clause.id == ClauseKey.clause_id)
                               .where(ClauseKey.key.in_(rest), ClauseKey.live).order_by(ClauseKey.first_seq))
        found |= {old: new for old, new in rows}
    return found


def similar_ids(session: Session, key: str, limit: int = 5) -> list[str]:
    """Current clause ids that look like `key`, for a helpful not-found page."""
    keys = list(session.scalars(select(Clause.key).where(Clause.live)))
    close = difflib.get_close_matches(key, keys, n=limit, cutoff=0.6)
    return close or [k for k in keys if key.lower() in k.lower()][:limit]
