"""Write commits into a spec repo through one `git fast-import` stream (deterministic, no work tree needed)."""
from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import git

from registry.errors import SourceError
from registry.person_ident import check_identity


@dataclass(frozen=True)
class Person:
    """A name and email as git records them."""

    name: str
    email: str

    def __post_init__(self) -> None:
        # A line break would end the fast-import `author` line and start a command of the user's own.
        check_identity(self.name, self.email)

    def ident(self, when: datetime) -> str:
        """The fast-import identity line: `Name <email> unixtime +hhmm`."""
        offset = when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        return f"{self.name} <{self.email}> {int(when.timestamp())} {sign}{minutes // 60:02d}{minutes % 60:02d}"


@dataclass(frozen=True)
class Write:
    """Put this content at path."""

    path: str
    content: bytes


@dataclass(frozen=True)
class Delete:
    """Remove path."""

    path: str


@dataclass(frozen=True)
class Rename:
    """Move a file, keeping its content."""

    old: str
    new: str


FileOp = Write | Delete | Rename


@dataclass(frozen=True)
class NewCommit:
    """A commit to create. `start` (a sha or branch) starts the branch there; `merge` adds a parent."""

    branch: str
    author: Person
    date: datetime
    message: str
    ops: Sequence[FileOp] = field(default=())
    committer: Person | None = None
    commit_date: datetime | None = None
    merge: str | None = None
    start: str | None = None
    tag: str | None = None
    tag_message: str | None = None


def init_repo(path: str | Path, branch: str = "main") -> None:
    """Create an empty repository whose HEAD names `branch`."""
    Path(path).mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch=branch)
    repo.close()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _ref(name: str) -> str:
    return name if name.startswith("refs/") or _is_sha(name) else f"refs/heads/{name}"


def _is_sha(name: str) -> bool:
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)


def _stream(commits: Iterable[NewCommit], existing: dict[str, str]) -> bytes:
    """Build the fast-import stream; marks name commits so merges and tags can refer to them."""
    out: list[bytes] = []
    seen: set[str] = set()
    for mark, c in enumerate(commits, start=1):
        ref = _ref(c.branch)
        committer = c.committer or c.author
        lines = [
            f"commit {ref}",
            f"mark :{mark}",
            f"author {c.author.ident(c.date)}",
            f"committer {committer.ident(c.commit_date or c.date)}",
        ]
        out.append(("\n".join(lines) + "\n").encode())
        out.append(_data(c.message.encode()))
        start = c.start or (existing.get(ref) if ref not in seen else None)
        if start:
            out.append(f"from {_ref(start)}\n".encode())
        if c.merge:
            out.append(f"merge {_ref(c.merge)}\n".encode())
        seen.add(ref)
        for op in c.ops:
            if isinstance(op, Write):
                out.append(f'M 100644 inline "{_quote(op.path)}"\n'.encode())
                out.append(_data(op.content))
            elif isinstance(op, Delete):
                out.append(f'D "{_quote(op.path)}"\n'.encode())
            else:
                out.append(f'R "{_quote(op.old)}" "{_quote(op.new)}"\n'.encode())
        out.append(b"\n")
        if c.tag:
            tagger = committer.ident(c.commit_date or c.date)
            out.append(f"tag {c.tag}\nfrom :{mark}\ntagger {tagger}\n".encode())
            out.append(_data((c.tag_message or c.tag).encode()))
    return b"".join(out)


def _quote(path: str) -> str:
    return path.replace("\\", "\\\\").replace('"', '\\"')


def import_history(path: str | Path, commits: Iterable[NewCommit], *, force: bool = False) -> None:
    """Append commits (and tags) to the repo at path in one fast-import run."""
    repo = git.Repo(path)
    try:
        existing = {}
        for head in repo.heads:
            existing[f"refs/heads/{head.name}"] = head.commit.hexsha
        stream = _stream(commits, existing)
        with tempfile.TemporaryFile() as fh:
            fh.write(stream)
            fh.seek(0)
            args = ["--quiet", "--force"] if force else ["--quiet"]
            try:
                repo.git.fast_import(*args, istream=fh)
            except git.GitCommandError as exc:
                raise SourceError(f"git fast-import failed: {exc.stderr.strip()}") from exc
    finally:
        repo.close()


def checkout(path: str | Path, branch: str = "main") -> None:
    """Make the work tree show `branch` (for people who open the repo's files)."""
    repo = git.Repo(path)
    try:
        repo.git.checkout("-q", "-f", branch)
    finally:
        repo.close()


def set_branch(path: str | Path, branch: str, sha: str) -> None:
    """Point a branch at a commit, discarding what was after it (used to rewrite history in tests)."""
    repo = git.Repo(path)
    try:
        repo.git.update_ref(f"refs/heads/{branch}", sha)
    finally:
        repo.close()


def commit_onto(path: str | Path, parent: str | None, commit: NewCommit) -> str:
    """Write one commit on top of `parent` (None: a root commit) without moving any branch; returns its sha.

    The commit goes to a private temporary ref (so fast-import never touches the published
    branch); `compare_and_swap` then publishes it.
    """
    temp = f"refs/specreg/tmp/{secrets.token_hex(8)}"
    import_history(path, [replace(commit, branch=temp, start=parent, tag=None)])
    repo = git.Repo(path)
    try:
        sha = repo.git.rev_parse("--verify", temp)
        repo.git.update_ref("-d", temp)
        return sha
    finally:
        repo.close()


def compare_and_swap(path: str | Path, branch: str, new: str, old: str | None, why: str = "specreg merge") -> bool:
    """Move the branch (or a full `refs/...` name) from `old` to `new` only if it still points at
    `old`, or, with `old` None, only if it does not exist yet (git's own ref lock)."""
    repo = git.Repo(path)
    try:
        repo.git.update_ref("-m", why, _ref(branch), new, old or "0" * 40)
        return True
    except git.GitCommandError:
        return False
    finally:
        repo.close()


def sync_worktree(path: str | Path, branch: str, old: str, new: str) -> bool:
    """Bring a checked-out work tree of `branch` from `old` to `new` (best effort; False if left as is).

    Only for people who open the repo's files: the registry itself reads git objects, never the
    work tree. A bare repo, another checked-out branch or local edits leave the tree untouched.
    """
    repo = git.Repo(path)
    try:
        if repo.bare or repo.head.is_detached or repo.head.ref.path != f"refs/heads/{branch}":
            return False
        repo.git.read_tree("-m", "-u", old, new)
        return True
    except (git.GitCommandError, TypeError, ValueError):
        return False
    finally:
        repo.close()
