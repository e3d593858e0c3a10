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
        """True for paths whose content this watcher wants at every commit that changes them.

        The answer must depend on the path alone: ingest asks once per path and remembers it.
        """
        return False

    def recorded(self) -> dict[str, ColumnElement[bool]]:
        """Each file whose history this watcher records, with a condition true once it recorded a version of it.

        Ingest replays the changes of the files it never recorded (a database ingested before the
        watcher existed) up to the ledger's head through `on_file` and `finish` before anything else,
        so an upgraded database records what it would have. Asked at every ingest, in one query for
        every watcher (`unseen`), so a condition is an EXISTS, not a query of its own.
        """
        return {}

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


def any_row(model: type[Any], *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """True when `model` holds a row matching `where`, live or set aside (a `recorded` condition)."""
    return select(model.id).where(*where).exists()


def unseen(session: Session, watchers: Sequence[IngestWatcher]) -> list[tuple[IngestWatcher, set[str]]]:
    """Each watcher with the files it never recorded (when there are any): one query for all of them."""
    asked = [(w, path, found) for w in watchers for path, found in w.recorded().items()]
    if not asked:
        return []
    answers = session.execute(select(*(found.label(f"recorded_{i}") for i, (_w, _p, found) in enumerate(asked)))).one()
    missing: dict[IngestWatcher, set[str]] = {}
    for (w, path, _found), seen in zip(asked, answers, strict=True):
        if not seen:
            missing.setdefault(w, set()).add(path)
    return list(missing.items())


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
