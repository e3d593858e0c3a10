"""A whole spec repo as one file and back: a git bundle of every ref, and a new repository made from one.

Backups carry the spec repo this way (`registry.backup`): a bundle holds the objects and the refs
(branches, tags and the audit anchors on `refs/specreg/audit`), not the work tree, whose
uncommitted edits the registry never reads anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.errors import SourceError
from registry.gitsource.process import GitFailed, repository, run, succeeds, text


@dataclass(frozen=True)
class RepoShape:
    """What a bundle does not say about the repository it came from: bare or not, and the branch HEAD names."""

    bare: bool
    head: str | None  # the branch's short name; None for a detached HEAD


def refs(repo: Path) -> dict[str, str]:
    """Every ref of the repository (full name: sha), HEAD aside."""
    out = text(repository(repo), "for-each-ref", "--format=%(objectname) %(refname)")
    return {name: sha for sha, name in (line.split(" ", 1) for line in out.splitlines() if line)}


def shape(repo: Path) -> RepoShape:
    """Whether the repository is bare, and which branch its HEAD names."""
    path = repository(repo)
    head = text(path, "symbolic-ref", "-q", "--short", "HEAD") if succeeds(path, "symbolic-ref", "-q", "HEAD") else None
    return RepoShape(text(path, "rev-parse", "--is-bare-repository") == "true", head or None)


def create_bundle(repo: Path, out: Path) -> dict[str, str]:
    """Write every ref of `repo` and the objects they reach to the bundle `out`; the refs it holds."""
    path = repository(repo)
    held = refs(path)
    if not held:
        raise SourceError(f"the spec repo {path} has no commits to back up")
    try:
        run(path, "bundle", "create", str(out.resolve()), "--all")
    except GitFailed as exc:
        raise SourceError(f"cannot bundle the spec repo {path}: {exc}") from exc
    return held


def restore_bundle(bundle: Path, target: Path, how: RepoShape) -> dict[str, str]:
    """Make a new repository at `target` (absent or an empty folder) holding exactly the bundle's refs.

    A work tree (unless bare) shows the branch HEAD named. Returns the refs it holds. The bundle is
    checked (complete, no missing prerequisite) before anything is fetched.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SourceError(f"{target} is not empty; restore the spec repo into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    branch = how.head or "main"
    try:
        run(target, "init", "-q", *(["--bare"] if how.bare else []), f"--initial-branch={branch}", ".")
        run(target, "bundle", "verify", "-q", str(bundle.resolve()))
        # HEAD names a branch that does not exist yet; fetching into it is what we want here.
        run(target, "fetch", "-q", "--update-head-ok", str(bundle.resolve()), "+refs/*:refs/*")
        if not how.bare and succeeds(target, "rev-parse", "-q", "--verify", "HEAD"):
            run(target, "reset", "-q", "--hard", "HEAD")
    except GitFailed as exc:
        raise SourceError(f"cannot restore the spec repo from the bundle: {exc}") from exc
    return refs(target)
