"""A deterministic spec repo for tests: fixed authors, dates advancing one day per commit."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from registry.gitsource.writer import Delete, NewCommit, Person, Rename, Write, import_history, init_repo, set_branch

ADA = Person("Ada Byron", "ada@example.org")
GRACE = Person("Grace Hopper", "grace@example.org")
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


class RepoBuilder:
    """Write files and commit them; every commit is one day after the previous one."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        self.branch = branch
        self.count = 0
        init_repo(path, branch)

    def copy(self, path: Path) -> RepoBuilder:
        """A builder of a copy of this repo at path, whose next commit is dated as this one's would be."""
        shutil.copytree(self.path, path, symlinks=True)
        copy = object.__new__(RepoBuilder)
        copy.path, copy.branch, copy.count = path, self.branch, self.count
        return copy

    def _date(self) -> datetime:
        self.count += 1
        return START + timedelta(days=self.count)

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None,
               renames: dict[str, str] | None = None, author: Person = ADA, tag: str | None = None,
               branch: str | None = None, start: str | None = None, merge: str | None = None) -> str:
        """Commit file contents (None deletes) and renames; returns the new commit's sha."""
        ops: list = [Rename(old, new) for old, new in (renames or {}).items()]
        for path, content in (files or {}).items():
            if content is None:
                ops.append(Delete(path))
            else:
                ops.append(Write(path, content.encode() if isinstance(content, str) else content))
        import_history(self.path, [NewCommit(branch or self.branch, author, self._date(), message, ops,
                                             tag=tag, start=start, merge=merge)])
        return self.head(branch)

    def head(self, branch: str | None = None) -> str:
        """The sha a branch points at."""
        ref = (self.path / ".git" / "refs" / "heads" / (branch or self.branch))
        if ref.exists():
            return ref.read_text().strip()
        import git

        with git.Repo(self.path) as repo:
            return repo.commit(branch or self.branch).hexsha

    def reset(self, sha: str) -> None:
        """Move the branch back to sha (a history rewrite once new commits follow)."""
        set_branch(self.path, self.branch, sha)
