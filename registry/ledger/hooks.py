"""Extra readers that ride along with ingest: they see every commit and the files they watch.

OWNERS.toml, policy.toml and merge trailers are read this way, so history is still read in one
pass. A watcher buffers what it learns and writes it in `finish()`, which ingest calls after the
batch's commits and clause versions are written (so foreign keys to commits hold).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

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


WatcherFactory = Callable[[Session, WarnFn], IngestWatcher]


def lazy(target: str) -> WatcherFactory:
    """A factory for "module:Class" that imports it only when ingest runs (no import cycles)."""

    def make(session: Session, warn: WarnFn) -> IngestWatcher:
        module, name = target.split(":")
        return getattr(importlib.import_module(module), name)(session, warn)

    return make


# Factories ingest instantiates for each run; features add theirs here. The merge watcher comes
# after the readers: it judges a commit by everything they recorded at its seq (OWNERS.toml,
# policy.toml). The ownership watcher re-checks proposals only in `advanced`, after every finish.
WATCHERS: list[WatcherFactory] = [
    lazy("registry.owners.recorder:OwnersWatcher"),
    lazy("registry.history.prompts:ExampleFilesWatcher"),
    lazy("registry.history.search_index:SearchIndexWatcher"),
    lazy("registry.proposals.policy_store:PolicyWatcher"),
    lazy("registry.proposals.merge_completion:MergeWatcher"),
    lazy("registry.proposals.reevaluation:OwnershipWatcher"),
]
