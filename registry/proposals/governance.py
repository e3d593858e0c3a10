"""Governance files: OWNERS.toml, policy.toml, specreg.toml and frameworks.toml change through proposals too.

A governance proposal replaces one whole file (a proposed change of kind `file`, keyed by the
path). Its new content is checked with the parser that will read it before anything is stored;
the admins approve it under policy.toml's `[governance]` table (registry.proposals.policy_toml). The
ledger records the sha256 of each version of these files (`GovernanceWatcher`), so the rule
"this commit is proposal N's approved merge" (registry.proposals.integrity) can tell whether a
commit wrote exactly the approved file, and whether a commit changed a governance file at all.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from registry import limits
from registry.errors import BadRequest, ConfigError
from registry.frameworks.frameworks_toml import FRAMEWORKS_PATH, parse_frameworks
from registry.gitsource import RawCommit, SpecSource
from registry.ledger.hooks import IngestWatcher, WarnFn, any_row
from registry.ledger.refs import head_point
from registry.models import GovernanceFileVersion, ProposedChange
from registry.owners.owners_toml import OWNERS_PATH, parse_owners
from registry.proposals.policy_toml import POLICY_PATH, parse_policy
from registry.spec.parser import normalize
from registry.spec.specfiles import SPECREG_TOML, from_options

FILE = "file"  # the kind of proposed change that replaces a governance file
GOVERNANCE_PATHS = (OWNERS_PATH, POLICY_PATH, SPECREG_TOML, FRAMEWORKS_PATH)


def is_governance_path(path: str) -> bool:
    """True for the governance files at the spec repo's root."""
    return path in GOVERNANCE_PATHS


def require_path(path: str) -> str:
    """The path when it names a governance file; BadRequest naming them otherwise."""
    if not is_governance_path(path):
        raise BadRequest(f"{path!r} is not a governance file; a file proposal replaces one of "
                         f"{', '.join(GOVERNANCE_PATHS)}")
    return path


def is_toml(text: str) -> bool:
    """True when the text parses as TOML (a governance file's new content, never a clause's Markdown)."""
    try:
        tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError:
        return False
    return True


def _problems(path: str, text: str) -> list[str]:
    """What the parser that reads this file would complain about (empty: it reads cleanly)."""
    if path == POLICY_PATH:
        return [w.removesuffix("; the previous policy stays in force") for w in parse_policy(text).warnings]
    if path == OWNERS_PATH:
        parsed = parse_owners(text)
        return [w.message.removesuffix("; the previous ownership stays in force")
                + (f" (line {w.line})" if w.line else "") for w in parsed.warnings]
    if path == FRAMEWORKS_PATH:
        return parse_frameworks(text).problems
    try:
        from_options((), text)
    except ConfigError as exc:
        return [exc.message]
    return []


def checked_content(path: str, text: str) -> str:
    """The new content, line ends normalized; BadRequest naming every problem the file's parser finds.

    Pure (no database, no git): the edges run it before the write lock, the use case again. A warning
    counts as a problem: a key that would be ignored (a typo in `min_approvals`) must not pass
    review as if it applied.
    """
    require_path(path)
    content = normalize(limits.check_text(f"the new {path}", text, limits.GOVERNANCE_FILE)).lstrip("\ufeff")
    if not content.strip():
        raise BadRequest(f"the new {path} is empty; a governance file cannot be proposed away")
    content = content if content.endswith("\n") else content + "\n"
    problems = _problems(path, content)
    if problems:
        raise BadRequest(f"the new {path} is refused: " + "; ".join(problems))
    return content


def read_current(source: SpecSource, sha: str, path: str) -> str | None:
    """The file's content at a commit (None: not there)."""
    raw = source.read_file(sha, require_path(path))
    return None if raw is None else raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class GovernanceFile:
    """A governance file as an editor starts from: its content at the ledger's head (None: not there yet)."""

    path: str
    commit: str
    text: str | None


def current_file(session: Session, source: SpecSource, path: str) -> GovernanceFile:
    """The governance file at the ledger's head (BadRequest for any other path)."""
    head = head_point(session)
    return GovernanceFile(require_path(path), head.sha, read_current(source, head.sha, path))


def digest(text: str) -> str:
    """sha256 of a file's bytes, as the ledger records each version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conflict(source: SpecSource, head: str, ch: ProposedChange) -> str | None:
    """Why the file cannot be replaced at `head`: it changed on the branch since the proposal's base."""
    if read_current(source, head, ch.key) != ch.base_text:
        return f"{ch.key}: changed on the branch since the proposal's base"
    return None


def changed_at(session: Session, seq: int) -> dict[str, str | None]:
    """The governance files the commit at `seq` changed, with the digest each now has (None: deleted)."""
    rows = session.execute(select(GovernanceFileVersion.path, GovernanceFileVersion.digest)
                           .where(GovernanceFileVersion.seq == seq, GovernanceFileVersion.live)
                           .order_by(GovernanceFileVersion.id))
    return {path: d for path, d in rows}


def text_mismatch(session: Session, ch: ProposedChange, seq: int) -> str | None:
    """Why the commit at `seq` is not the approved replacement of `ch`'s file (None: it wrote exactly it)."""
    written = changed_at(session, seq)
    if ch.key not in written or written[ch.key] != digest(ch.text or ""):
        return f"{ch.key}: the file at this commit is not the content the approvals were given for"
    return None


class GovernanceWatcher(IngestWatcher):
    """Records the sha256 of every version of the governance files."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.pending: list[GovernanceFileVersion] = []

    def recorded(self) -> dict[str, ColumnElement[bool]]:
        """Each governance file, recorded once any of its digests was."""
        return {p: any_row(GovernanceFileVersion, GovernanceFileVersion.path == p) for p in GOVERNANCE_PATHS}

    def watches(self, path: str) -> bool:
        """The governance files at the repo root."""
        return is_governance_path(path)

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """Remember the version; written in finish()."""
        found = None if content is None else hashlib.sha256(content).hexdigest()
        self.pending.append(GovernanceFileVersion(seq=seq, path=path, digest=found))

    def on_rewind(self, fork_seq: int) -> None:
        """Versions after the fork leave the branch but stay recorded."""
        self.session.execute(GovernanceFileVersion.set_aside_after(fork_seq))

    def finish(self) -> None:
        """Write the batch's versions (their commits exist by now)."""
        self.session.add_all(self.pending)
        self.session.flush()
        self.pending = []
