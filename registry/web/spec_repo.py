"""The spec repo a request reads: the configured one, or with a remote this host's clone caught up
with the database first (another host may have merged or synced since this one fetched)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from registry.db import get_session
from registry.gitsource import SpecSource
from registry.ledger.sync import catch_up


def spec_repo() -> str:
    """The spec repo's path, holding at least the commit the database is at."""
    config = current_app.config
    if config["SPEC_REMOTE"]:
        catch_up(get_session(), Path(config["SPEC_REPO"]), config["SPEC_REMOTE"])
    return str(config["SPEC_REPO"])


def spec_source() -> SpecSource:
    """A reader over `spec_repo()`."""
    return SpecSource(spec_repo())
