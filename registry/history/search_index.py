"""Keep SQLite's FTS5 table `clause_search` in step with clause_versions (PostgreSQL needs nothing).

The table is contentless and keyed by clause_versions.id; versions are only ever appended, so
indexing every version above the highest indexed id is enough, and safe to repeat.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.db import is_sqlite
from registry.ledger.hooks import IngestWatcher

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

_LAST = text("SELECT rowid FROM clause_search ORDER BY rowid DESC LIMIT 1")
_APPEND = text("INSERT INTO clause_search (rowid, key, title, body) "
               "SELECT id, key, title, body FROM clause_versions WHERE id > :last ORDER BY id")


def sync_search_index(session: Session) -> int:
    """Index clause versions the FTS table has not seen yet; returns how many (0 on PostgreSQL)."""
    if not is_sqlite(session):
        return 0  # the GIN expression index follows the table by itself
    last = session.scalar(_LAST) or 0
    # an INSERT's result is a CursorResult (which has rowcount); Session.execute is typed as any Result
    return cast("CursorResult[Any]", session.execute(_APPEND, {"last": last})).rowcount or 0


class SearchIndexWatcher(IngestWatcher):
    """Indexes each batch's new clause versions right after ingest writes them."""

    def finish(self) -> None:
        """Catch the index up with the versions just written."""
        sync_search_index(self.session)
