"""frameworks.toml in the database: a watcher records every version during ingest; `frameworks_at` reads one.

A version that does not parse is recorded as invalid and never used: the previous one stays in
force (like OWNERS.toml and policy.toml). Before any frameworks.toml, or after it is deleted, no
framework is known. `[map]` keys that name no clause at the commit are warnings (the key is kept:
it may apply later).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.frameworks.frameworks_toml import FRAMEWORKS_PATH, FrameworksFile, parse_frameworks
from registry.gitsource import RawCommit
from registry.history.queries import clause_summaries
from registry.ledger.hooks import IngestWatcher, WarnFn, any_row
from registry.ledger.refs import Point
from registry.models import Commit, FrameworksVersion
from registry.transaction.kept import KeptAnswers

NO_FRAMEWORKS = FrameworksFile()


@dataclass(frozen=True)
class FrameworksSource:
    """The frameworks.toml in force at a point and the commit that wrote it (None: no file)."""

    file: FrameworksFile
    commit: str | None


def decode(content: bytes) -> tuple[str, FrameworksFile]:
    """Bytes to text and a parsed file; bytes that are not UTF-8 make an invalid version."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "", FrameworksFile(valid=False, problems=[f"frameworks.toml is not UTF-8 (byte {exc.start})"])
    return text, parse_frameworks(text)


class FrameworksWatcher(IngestWatcher):
    """Reads the root frameworks.toml at every commit that changes it."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.pending: list[tuple[FrameworksVersion, RawCommit, FrameworksFile | None]] = []

    def recorded(self) -> dict[str, ColumnElement[bool]]:
        """frameworks.toml, recorded once any version of it was."""
        return {FRAMEWORKS_PATH: any_row(FrameworksVersion)}

    def watches(self, path: str) -> bool:
        """Only the file at the repo root."""
        return path == FRAMEWORKS_PATH

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """Check the version now (warnings carry this commit); write it in finish()."""
        if content is None:
            self.pending.append((FrameworksVersion(seq=seq, status="deleted", text=""), commit, None))
            return
        text, parsed = decode(content)
        suffix = "" if parsed.valid else "; the previous frameworks.toml stays in force"
        for problem in parsed.problems:
            self.warn(commit.sha, path, problem + suffix, None)
        status = "valid" if parsed.valid else "invalid"
        self.pending.append((FrameworksVersion(seq=seq, status=status, text=text), commit, parsed))

    def on_rewind(self, fork_seq: int) -> None:
        """Versions after the fork leave the branch but stay recorded."""
        self.session.execute(FrameworksVersion.set_aside_after(fork_seq))

    def finish(self) -> None:
        """Write the batch's versions (their commits and clause versions exist by now)."""
        self.session.add_all(v for v, _c, _p in self.pending)
        self.session.flush()
        for version, commit, parsed in self.pending:
            if parsed is not None and parsed.valid:
                self._check_keys(version.seq, commit, parsed)
        self.pending = []

    def _check_keys(self, seq: int, commit: RawCommit, parsed: FrameworksFile) -> None:
        """Warn about `[map]` keys that name no clause at this commit."""
        ids = [v.id for v in clause_summaries(self.session, Point("", seq, commit.sha, "commit"))]
        for e in parsed.entries:
            if not any(e.names(i) for i in ids):
                self.warn(commit.sha, FRAMEWORKS_PATH, f"[map] key {e.key!r} names no clause at this commit", e.line)


# frameworks.toml versions are written by an ingest only, which moves audit.newest_standing_event;
# every clause page reads the file in force and parsed it again (shared: read only).
_sources: KeptAnswers[FrameworksSource] = KeptAnswers(8)


def frameworks_at(session: Session, seq: int) -> FrameworksSource:
    """The frameworks.toml in force at a commit: its newest usable version (none before the first)."""
    return kept_while_standing(_sources, session, seq, lambda: _frameworks_at(session, seq))


def _frameworks_at(session: Session, seq: int) -> FrameworksSource:
    row = session.execute(FrameworksVersion.in_force_at(seq).add_columns(Commit.sha)
                          .join(Commit, Commit.seq == FrameworksVersion.seq)).first()
    if row is None or row[0].status == "deleted":
        return FrameworksSource(NO_FRAMEWORKS, None)
    return FrameworksSource(parse_frameworks(row[0].text), row[1])
