"""The worker's jobs; each opens its own sessions and commits its own work."""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from registry.config import Settings
from registry.db import session_scope


def sync(engine: Engine, settings: Settings) -> dict[str, Any]:
    """`specreg sync` with SPECREG_REMOTE (fetch, then ingest the clone), else `specreg ingest`; the report's JSON.

    Both take the database's ingest lock first, so one sync runs at a time across every process and
    host sharing the database; a second waits, then finds nothing new.
    """
    from registry.gitsource import SpecSource
    from registry.ledger.ingest import IngestOptions, ingest
    from registry.ledger.sync import sync as fetch_and_ingest

    options = IngestOptions(branch=settings.branch)
    with session_scope(engine, write=True) as session:
        if settings.remote is not None:
            return fetch_and_ingest(session, settings.repo, settings.remote, options,
                                    checkpoint=session.commit).as_dict()
        with SpecSource(settings.repo) as source:
            return ingest(session, source, options, checkpoint=session.commit).as_dict()
