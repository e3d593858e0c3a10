"""Extra readers that ride along with ingest: they see every commit and the files they watch.

OWNERS.toml, policy.toml and merge trailers are read this way, so history is still read in one
pass. A watcher buffers what it learns and writes it in `finish()`, which ingest calls after the
batch's commits and clause versions are written (so foreign keys to commits hold). The ledger knows
none of them by name: `registry.wiring` installs the factories, in order, at start-up.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from registry.gitsource import RawCommit

WarnFn = Callable[..., None]


class IngestWatcher:
    """Base class: override what you need; every hook defaults to doing nothing."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        self.session = session
        self.warn = warn  # warn(commit_sha, path, message, line=None)

    def watches(self, path: str) -> bool:
        """True for paths whose content this watcher wants at every commit that changes them."""
        return False

    def unseen(self) -> tuple[str, ...]:
        """Watched files whose history this watcher never recorded (a database ingested before it existed).

        Ingest replays those files' changes up to the ledger's head through `on_file` and `finish`
        before anything else, so an upgraded database records what it would have. Cheap: asked at
        every ingest.
        """
        return ()

    def on_commit(self, commit: RawCommit, seq: int) -> None:
        """Called for every commit, oldest first, before its files."""

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """A watched file changed at this commit; content is None when it was deleted."""

    def on_rewind(self, fork_seq: int) -> None:
        """History after fork_seq was set aside (a rewrite); forget state learned after it."""

    def finish(self) -> None:
        """Write what was buffered (called after each batch and at the end of the run)."""

    def advanced(self) -> None:
        """The ledger head moved past the batch: act on the ledger as it now stands (before any checkpoint)."""


def never_recorded(session: Session, model: type[Any], path: str, *where: ColumnElement[bool]) -> tuple[str, ...]:
    """(path,) when `model` holds no row (matching `where`), live or set aside; else ()."""
    found = session.scalar(select(model.id).where(*where).limit(1))
    return (path,) if found is None else ()


WatcherFactory = Callable[[Session, WarnFn], IngestWatcher]


_installed: tuple[WatcherFactory, ...] | None = None


def install(factories: Sequence[WatcherFactory]) -> None:
    """Set what rides along with every ingest run, in order (the composition root calls this)."""
    global _installed
    _installed = tuple(factories)


def installed() -> tuple[WatcherFactory, ...]:
    """The watcher factories `install` set; ingest without them would silently skip owners and merges."""
    if _installed is None:
        raise RuntimeError("no ingest watchers installed: call registry.wiring.install() at start-up")
    return _installed
