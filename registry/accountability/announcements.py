"""The ingest watcher that announces what an ingest found as webhook events, in its transaction.

After each batch (when merges in it are complete): `clause.changed` for every commit that wrote
clause versions, and `unapproved.detected` for every commit in the batch that the unapproved
report lists (the one definition, `unapproved.unapproved_changes`). Nothing is computed when no
webhook listens to either event.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accountability.unapproved import unapproved_changes
from registry.gitsource import RawCommit
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.ledger.refs import iso
from registry.models import ClauseVersion, Commit
from registry.webhooks.outbox import emit, listened

CHANGED, UNAPPROVED = "clause.changed", "unapproved.detected"


class AnnouncingWatcher(IngestWatcher):
    """Remembers the batch's seqs; announces its clause changes and unapproved changes once the head moved."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.first: int | None = None
        self.last: int | None = None

    def on_commit(self, commit: RawCommit, seq: int) -> None:
        if self.first is None:
            self.first = seq
        self.last = seq

    def on_rewind(self, fork_seq: int) -> None:
        self.first = self.last = None

    def advanced(self) -> None:
        if self.first is None or self.last is None:
            return
        first, last, self.first, self.last = self.first, self.last, None, None
        heard = listened(self.session, CHANGED, UNAPPROVED)
        if CHANGED in heard:
            for data in clause_changes(self.session, first, last):
                emit(self.session, CHANGED, data)
        if UNAPPROVED in heard:
            for change in unapproved_changes(self.session, first - 1, last):
                emit(self.session, UNAPPROVED, change.as_dict())


def clause_changes(session: Session, first: int, last: int) -> list[dict[str, Any]]:
    """Per commit from seq `first` to `last` that wrote clause versions: {"commit", ..., "clauses": [...]}."""
    out: dict[int, dict[str, Any]] = {}
    rows = session.execute(select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
                           .where(ClauseVersion.seq.between(first, last), ClauseVersion.live)
                           .order_by(ClauseVersion.seq, ClauseVersion.id))
    for v, c in rows:
        entry = out.setdefault(c.seq, {"commit": c.sha, "date": iso(c.committed_at), "author": c.author_name,
                                       "subject": c.subject, "clauses": []})
        entry["clauses"].append({"id": v.key, "title": v.title, "document": v.document,
                                 "changes": [k for k in v.changes.split(",") if k], "previous_id": v.previous_key,
                                 "path": f"/clauses/{v.key}"})
    return list(out.values())
