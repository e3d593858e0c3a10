"""policy.toml in the database: a watcher records every version during ingest; `policy_at` reads one.

A version that does not parse is recorded as invalid and never used: the previous one stays in
force (like OWNERS.toml). Before any policy.toml, or after it is deleted, the built-in defaults apply.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from registry.gitsource import RawCommit
from registry.ledger.hooks import IngestWatcher, WarnFn, any_row
from registry.models import Commit, PolicyVersion
from registry.proposals.policy_toml import DEFAULT_POLICY, POLICY_PATH, Policy, parse_policy


@dataclass(frozen=True)
class PolicySource:
    """The policy in force at a point and where it came from (None: the built-in defaults)."""

    policy: Policy
    commit: str | None
    text: str | None

    @property
    def path(self) -> str:
        """Where in the spec repo the policy is read from."""
        return POLICY_PATH

    @property
    def defaults(self) -> bool:
        """True when no policy.toml applies: the built-in defaults."""
        return self.commit is None

    def as_dict(self) -> dict[str, object]:
        """{"path", "commit", "defaults"}."""
        return {"path": self.path, "commit": self.commit, "defaults": self.defaults}


class PolicyWatcher(IngestWatcher):
    """Reads the root policy.toml at every commit that changes it."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.pending: list[PolicyVersion] = []

    def recorded(self) -> dict[str, ColumnElement[bool]]:
        """policy.toml, recorded once any version of it was."""
        return {POLICY_PATH: any_row(PolicyVersion)}

    def watches(self, path: str) -> bool:
        """Only the file at the repo root."""
        return path == POLICY_PATH

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """Check the version now (warnings carry this commit); write it in finish()."""
        if content is None:
            self.pending.append(PolicyVersion(seq=seq, status="deleted", text=""))
            return
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            self.warn(commit.sha, path, "policy.toml is not UTF-8; the previous policy stays in force", None)
            self.pending.append(PolicyVersion(seq=seq, status="invalid", text=""))
            return
        parsed = parse_policy(text)
        for message in parsed.warnings:
            self.warn(commit.sha, path, message, None)
        start = parsed.policy.governance.start if parsed.policy else None
        self.pending.append(PolicyVersion(seq=seq, status="valid" if parsed.policy else "invalid", text=text,
                                          governance_start=start))

    def on_rewind(self, fork_seq: int) -> None:
        """Versions after the fork leave the branch but stay recorded."""
        self.session.execute(PolicyVersion.set_aside_after(fork_seq))

    def finish(self) -> None:
        """Write the batch's versions (their commits exist by now)."""
        self.session.add_all(self.pending)
        self.session.flush()
        self.pending = []


def policy_at(session: Session, seq: int) -> PolicySource:
    """The policy in force at a commit: its newest usable policy.toml, else the defaults."""
    row = session.execute(PolicyVersion.in_force_at(seq).add_columns(Commit.sha)
                          .join(Commit, Commit.seq == PolicyVersion.seq)).first()
    return _source(row[0] if row else None, row[1] if row else None)


def _source(version: PolicyVersion | None, sha: str | None) -> PolicySource:
    """The policy a usable policy.toml version gives (the defaults when none, or when it was deleted)."""
    if version is None or sha is None or version.status == "deleted":
        return PolicySource(DEFAULT_POLICY, None, None)
    return PolicySource(parse_policy(version.text).policy or DEFAULT_POLICY, sha, version.text)


def policies_at(session: Session, seqs: Collection[int]) -> dict[int, PolicySource]:
    """`policy_at` for many commits in one query: each one's policy in force."""
    if not seqs:
        return {}
    rows = session.execute(
        select(PolicyVersion, Commit.sha).join(Commit, Commit.seq == PolicyVersion.seq)
        .where(PolicyVersion.seq <= max(seqs), PolicyVersion.usable())
        .order_by(PolicyVersion.seq, PolicyVersion.id)).all()
    out = {}
    for seq in set(seqs):
        last = [(v, sha) for v, sha in rows if v.seq <= seq][-1:]  # the newest wins, as in policy_at
        out[seq] = _source(*last[0]) if last else _source(None, None)
    return out
