"""How ingest reads the repo: the options a caller gives it, with their defaults."""
from __future__ import annotations

from dataclasses import dataclass

from registry.spec.identity import DEFAULT_SIMILARITY


@dataclass(frozen=True)
class IngestOptions:
    """How to read the repo: branch, spec file globs, rename threshold, limits, batch size."""

    branch: str | None = None  # None: the branch the database tracks, else the repo's checked-out branch
    includes: tuple[str, ...] = ()
    similarity: float = DEFAULT_SIMILARITY
    max_file_bytes: int = 2_000_000
    batch_commits: int = 500
    # From this many new commits on, reading and parsing run in a second process (see history_stream);
    # one the command line already started (see standby) reads any run.
    reader_process_from: int = 1000
