"""The worker's jobs; each opens its own sessions and commits its own work."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from registry.config import Settings
from registry.db import session_scope

if TYPE_CHECKING:
    from registry.audit.events import Finding


def sync(engine: Engine, settings: Settings) -> dict[str, Any]:
    """`specreg sync` with SPECREG_REMOTE (fetch, then ingest the clone), else `specreg ingest`; the report's JSON.

    Both take the database's ingest lock first, so one sync runs at a time across every process and
    host sharing the database; a second waits, then finds nothing new.
    """
    from registry.gitsource import SpecSource
    from registry.ledger.ingest import ingest
    from registry.ledger.options import IngestOptions
    from registry.ledger.sync import sync as fetch_and_ingest

    options = IngestOptions(branch=settings.branch)
    with session_scope(engine, write=True) as session:
        if settings.remote is not None:
            return fetch_and_ingest(session, settings.repo, settings.remote, options,
                                    checkpoint=session.commit).as_dict()
        with SpecSource(settings.repo) as source:
            return ingest(session, source, options, checkpoint=session.commit).as_dict()


def verify(engine: Engine, settings: Settings, now: datetime) -> tuple[list[Finding], list[Finding]]:
    """`specreg verify` (the anchors on the remote too, with SPECREG_REMOTE): every finding, and the new ones.

    The new ones (not found by the run before) are announced as one `verify.failed` webhook event.
    """
    from registry.accountability import verify_runs
    from registry.accountability.verify import verify as run_verify
    from registry.ledger.sync import catch_up

    with session_scope(engine) as session:
        repo = None  # without a remote: the spec repo the database ingested
        if settings.remote is not None:  # this host's clone, as specreg verify reads it (fetched when it lags)
            catch_up(session, settings.repo, settings.remote)
            repo = str(settings.repo)
        findings = run_verify(session, repo, settings.remote)
    with session_scope(engine, write=True) as session:
        new = verify_runs.record(session, findings, now)
    return findings, new
