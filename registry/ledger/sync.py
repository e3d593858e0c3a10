"""Use case: fetch the spec repo's remote into Specreg's clone and ingest the fetched branch (`specreg sync`).

Fetching moves the clone's refs, so it runs under the ingest lock (registry.db's lock order): no
ingest, sync or merge of this database moves or reads them halfway, and a fetch never puts back a
branch a merge has just pushed. The worker's sync job and the push hook call `sync` too; `catch_up`
fetches for a host whose clone lags the database (another host merged or synced since).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from registry.db import lock_writer
from registry.gitsource import SpecSource
from registry.gitsource.remote import ensure_clone, fetch
from registry.ledger.ingest import IngestOptions, IngestReport, Progress, ingest
from registry.models import Ledger


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: the branch tip it fetched, and the ingest report of reading it."""

    fetched: str
    ingest: IngestReport

    def as_dict(self) -> dict[str, object]:
        """The ingest report's JSON plus {"fetched": sha}."""
        return self.ingest.as_dict() | {"fetched": self.fetched}


def fetch_locked(session: Session, clone: Path, remote: str) -> None:
    """Clone the remote if needed, then fetch it, holding the ingest lock until the transaction ends."""
    ensure_clone(clone, remote)
    lock_writer(session, "ingest")
    fetch(clone, remote)


def catch_up(session: Session, clone: Path, remote: str) -> bool:
    """Fetch into this host's clone when it lacks the commit the database is at; True when it fetched.

    With several hosts on one database, another host's merge or sync moves the database past what
    this host's clone holds until this host fetches: a proposal based on that head, or verify
    reading the branch, would not find it here. Fetching costs nothing when the clone is current.
    """
    ledger = session.get(Ledger, 1)
    if ledger is None or not ledger.head_sha:
        return False
    if (clone / "HEAD").is_file():
        with SpecSource(clone) as source:
            if source.has_commit(ledger.head_sha):
                return False
    fetch_locked(session, clone, remote)
    return True


def sync(session: Session, clone: Path, remote: str, options: IngestOptions | None = None,
         progress: Progress | None = None, checkpoint: Callable[[], None] | None = None) -> SyncReport:
    """Fetch the remote into the clone and ingest the branch (see the module docstring); flushes, never commits.

    `options` None or its branch None: the branch the database tracks, else the remote's default (HEAD) branch.
    """
    fetch_locked(session, clone, remote)
    with SpecSource(clone) as source:
        report = ingest(session, source, options or IngestOptions(), progress, checkpoint)
        fetched = source.resolve(session.get_one(Ledger, 1).branch)
    return SyncReport(fetched, report)
