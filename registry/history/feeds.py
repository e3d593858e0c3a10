"""Use cases: what the Atom feeds of the spec, of one clause and of one document list, newest first.

Feed and entry ids are permanent: built from commit shas, clause ids, paths (and, for proposals, the
audit event's hash), never from database row ids, so a restore or a re-ingest from scratch gives every
entry the id it had and feed readers show nothing twice. A rewritten history gives rewritten commits
new ids: they are new changes.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.errors import NotFound
from registry.history.activity import recent_changes
from registry.history.clause_detail import current_id
from registry.history.clause_history import clause_history
from registry.ledger.refs import head_point
from registry.models import Commit, DocumentVersion

# Entries per feed (the newest ones): a feed reader polls often and keeps what it has seen.
FEED_LIMIT = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedEntry:
    """One entry: a clause change or a proposal event."""

    id: str  # permanent (see the module docstring)
    title: str
    updated: datetime
    author: str
    link: str  # the page that shows it, site-relative
    summary: str


@dataclass(frozen=True)
class Feed:
    """A feed's identity, the page it mirrors (site-relative) and its entries, newest first."""

    id: str
    title: str
    link: str
    updated: datetime
    entries: tuple[FeedEntry, ...]


def urn(*parts: str) -> str:
    """A permanent id: `urn:specreg:` and the parts, each percent-encoded so `:` in a clause id stays unambiguous."""
    return "urn:specreg:" + ":".join(quote(p, safe="") for p in parts)


def clause_path(key: str, *rest: str) -> str:
    """A clause page's site-relative URL (ids go in URLs as they are, see docs/web.md)."""
    return "/".join(("/clauses", quote(key, safe=":.-~_"), *rest))


def change_entry(current: str, key: str, title: str, changes: Sequence[str], sha: str, date: datetime,
                 author: str, subject: str) -> FeedEntry:
    """A clause version as an entry, linked to the diff page at its commit (a removal's diff too)."""
    kinds = ", ".join(changes) or "changed"
    return FeedEntry(urn("change", sha, key), f"{title or key} ({key}): {kinds}", date, author or "unknown",
                     f"{clause_path(current, 'diff')}?to={sha}", f"{kinds} in commit {sha[:12]} by {author}: {subject}")


def unique(entries: Iterable[FeedEntry], limit: int) -> tuple[FeedEntry, ...]:
    """The first entry of each id, at most `limit`: a commit that wrote a lineage twice shows its last version."""
    seen: dict[str, FeedEntry] = {}
    for e in entries:
        seen.setdefault(e.id, e)
    return tuple(seen.values())[:limit]


def spec_root(session: Session) -> str:
    """The sha of the branch's first commit: what tells this spec's feeds from another registry's."""
    first = session.scalar(select(func.min(Commit.seq)).where(Commit.live))
    return session.get_one(Commit, first).sha if first is not None else "empty"


def newest(entries: Sequence[FeedEntry], session: Session) -> datetime:
    """When the feed last changed: its newest entry, else the head commit (a feed with no entries yet)."""
    if entries:
        return max(e.updated for e in entries)
    seq = session.scalar(select(func.max(Commit.seq)).where(Commit.live))
    return session.get_one(Commit, seq).committed_at if seq is not None else EPOCH


def _recent(session: Session, limit: int, document: str | None) -> tuple[FeedEntry, ...]:
    changes = recent_changes(session, head_point(session), limit, document)
    return unique((change_entry(c.id, c.key, c.title, c.changes, c.commit, c.date, c.author, c.subject)
                   for c in changes), limit)


def spec_feed(session: Session, limit: int = FEED_LIMIT) -> Feed:
    """Every clause change on the branch, newest first, the newest `limit`."""
    entries = _recent(session, limit, None)
    return Feed(urn("feed", spec_root(session), "spec"), "Clause changes", "/", newest(entries, session), entries)


def clause_feed(session: Session, key: str, limit: int = FEED_LIMIT) -> Feed:
    """One clause's versions across its former ids, newest first; UnknownClause when no clause has or had `key`."""
    history = clause_history(session, key)
    now = current_id(session, key)
    entries = unique((change_entry(now, e.id, e.title, e.changes, e.commit, e.date, e.author,
                                   e.message.split("\n", 1)[0]) for e in reversed(history)), limit)
    # The lineage's first version names it for good: the same feed under the clause's current and former ids.
    first = urn("feed", "clause", history[0].commit, history[0].id) if history else urn("feed", "clause", now)
    title = next((e.title for e in reversed(history) if not e.removed), now)
    return Feed(first, f"Clause {now}: {title}", clause_path(now), newest(entries, session), entries)


def document_feed(session: Session, path: str, limit: int = FEED_LIMIT) -> Feed:
    """Changes to the clauses of one document, newest first; NotFound when `path` was never a document on the branch."""
    known = session.scalar(select(DocumentVersion.id).where(DocumentVersion.path == path, DocumentVersion.live)
                           .limit(1))
    if known is None:
        raise NotFound(f"no document {path!r} on the branch")
    entries = _recent(session, limit, path)
    return Feed(urn("feed", spec_root(session), "document", path), f"Document {path}",
                "/documents/" + quote(path), newest(entries, session), entries)
