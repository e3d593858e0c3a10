"""Use case: fetch the spec repo's remote into Specreg's clone and ingest the fetched branch (`specreg sync`).

Fetching moves the clone's refs, so it runs under the ingest lock (the lock order in registry.transaction.locks): no
ingest, sync or merge of this database moves or reads them halfway, and a fetch never puts back a
branch a merge has just pushed. The worker's sync job and the push hook call `sync` too; `catch_up`
fetches for a host whose clone lags the database (another host merged or synced since).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import events as audit
from registry.errors import NotSynced, RemoteChanged, SourceError
from registry.gitsource import SpecSource
from registry.gitsource.remote import (
    cloned_from,
    discard_clone,
    ensure_clone,
    fetch,
    mirrored_refs,
    put_back,
    record_origin,
    redact,
)
from registry.ledger.ingest import IngestReport, Progress, ingest
from registry.ledger.options import IngestOptions
from registry.models import Commit, Ledger
from registry.transaction.locks import lock_writer

SYNC_ACTOR = "registry:sync"


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: the branch tip it fetched, and the ingest report of reading it."""

    fetched: str
    ingest: IngestReport

    def as_dict(self) -> dict[str, object]:
        """The ingest report's JSON plus {"fetched": sha}."""
        return self.ingest.as_dict() | {"fetched": self.fetched}


def fetch_locked(session: Session, clone: Path, remote: str, new_remote: bool = False) -> None:
    """Clone the remote if needed, then fetch it, holding the ingest lock until the transaction ends.

    RemoteChanged (nothing fetched, or the fetch undone) when `remote` is not the repository the clone
    came from, or its branch shares no commit with the history the database holds: another
    repository's history would otherwise be set aside as a rewrite of this one. `new_remote` moves
    to it on purpose (audited).
    """
    cloned = ensure_clone(clone, remote)
    lock_writer(session, "ingest")
    old = cloned_from(clone)
    if old is not None and old != remote and not new_remote:
        raise RemoteChanged(f"SPECREG_REMOTE is {redact(remote)} but this host's clone ({clone}) came from "
                            f"{redact(old)}; nothing was fetched. {_ON_PURPOSE}")
    before = mirrored_refs(clone)
    fetch(clone, remote)
    unrelated = _unrelated(session, clone)
    if unrelated is not None and not new_remote:
        if cloned:
            discard_clone(clone)
        else:
            put_back(clone, before)
        raise RemoteChanged(f"the branch {unrelated} at {redact(remote)} shares no commit with the history this "
                            f"database holds (from {redact(old or remote)}); nothing was read. {_ON_PURPOSE}")
    if old != remote:
        record_origin(clone, remote)
    if new_remote and (unrelated is not None or (old is not None and old != remote)):
        audit.record(session, SYNC_ACTOR, "ledger.remote_changed", "remote", {"url": redact(old or remote)},
                     {"url": redact(remote), "unrelated_history": unrelated is not None})


_ON_PURPOSE = ("If the spec moved there on purpose, run `specreg sync --new-remote` (audited; the old history is "
               "kept and set aside as a rewrite); else set SPECREG_REMOTE back to the spec's repository")


def _unrelated(session: Session, clone: Path) -> str | None:
    """The tracked branch when its fetched history holds no commit the database ever recorded; else None."""
    ledger = session.get(Ledger, 1)
    if ledger is None or not ledger.head_sha:
        return None
    with SpecSource(clone) as source:
        try:
            tip = source.resolve(ledger.branch)
        except SourceError:
            return None  # no such branch there: ingest names it
        if source.is_ancestor(ledger.head_sha, tip):
            return None
        known = set(session.scalars(select(Commit.sha)))
        return None if any(sha in known for sha in source.first_parent_shas(tip)) else ledger.branch


def catch_up(session: Session, clone: Path, remote: str) -> bool:
    """Fetch into this host's clone when it lacks the commit the database is at; True when it fetched.
    NotSynced when there is neither a clone nor a database history to fetch up to (`specreg sync` first).

    With several hosts on one database, another host's merge or sync moves the database past what
    this host's clone holds until this host fetches: a proposal based on that head, or verify
    reading the branch, would not find it here. Fetching costs nothing when the clone is current.
    """
    ledger = session.get(Ledger, 1)
    if ledger is None or not ledger.head_sha:
        if not (clone / "HEAD").is_file():
            raise NotSynced(f"the spec repo's remote {redact(remote)} has not been synced yet: there is no clone "
                            f"({clone}) and no history in the database. Run `specreg sync` (or start "
                            "`specreg worker`), then try again")
        return False
    if (clone / "HEAD").is_file():
        with SpecSource(clone) as source:
            if source.has_commit(ledger.head_sha):
                return False
    fetch_locked(session, clone, remote)
    return True


def sync(session: Session, clone: Path, remote: str, options: IngestOptions | None = None,
         progress: Progress | None = None, checkpoint: Callable[[], None] | None = None,
         new_remote: bool = False) -> SyncReport:
    """Fetch the remote into the clone and ingest the branch (see the module docstring); flushes, never commits.

    `options` None or its branch None: the branch the database tracks, else the remote's default (HEAD) branch.
    `new_remote`: SPECREG_REMOTE was changed to another repository on purpose (see `fetch_locked`).
    """
    fetch_locked(session, clone, remote, new_remote)
    with SpecSource(clone) as source:
        report = ingest(session, source, options or IngestOptions(), progress, checkpoint)
        fetched = source.resolve(session.get_one(Ledger, 1).branch)
    return SyncReport(fetched, report)
