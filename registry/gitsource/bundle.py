"""A whole spec repo as one file and back: a git bundle of every ref, and a new repository made from one.

Backups carry the spec repo this way (`registry.backup`): a bundle holds the objects and the refs
(branches, tags and the audit anchors on `refs/specreg/audit`), not the work tree, whose
uncommitted edits the registry never reads anyway.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from registry.errors import SourceError
from registry.gitsource.process import GitFailed, reap, repository, run, stream, succeeds, text


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


def fetch_bundle(bundle: Path, target: Path, how: RepoShape) -> dict[str, str]:
    """Make a new repository at `target` (absent or an empty folder) holding exactly the bundle's refs and
    objects, its work tree not yet written (`check_out`); the refs it holds.

    The bundle is checked (complete, no missing prerequisite) before anything is fetched. Fetching
    inflates every object in memory: judge `packs.bundle_objects` first.
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
    except GitFailed as exc:
        raise SourceError(f"cannot restore the spec repo from the bundle: {exc}") from exc
    return refs(target)


@dataclass(frozen=True)
class TreeEntry:
    """A file or folder `check_out` would write: its path and, for a file, its blob's size (None for a folder)."""

    path: str
    size: int | None


def _has_work_tree(repo: Path) -> bool:
    return (repo / ".git").is_dir() and succeeds(repo, "rev-parse", "-q", "--verify", "HEAD^{tree}")


def work_tree(repo: Path) -> Iterator[TreeEntry]:
    """Every file and folder of HEAD's tree that `check_out` would write, with each file's size as stored;
    nothing for a bare repository or one whose HEAD names no commit. Read from the objects alone."""
    if not _has_work_tree(repo):
        return
    proc = stream(repo, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", "HEAD")
    assert proc.stdout is not None
    whole = False
    try:
        rest = b""
        while chunk := proc.stdout.read(1 << 16):
            *records, rest = (rest + chunk).split(b"\0")
            for record in records:  # "<mode> <type> <object> <size>\t<path>"; a folder's or gitlink's size is "-"
                info, path = record.split(b"\t", 1)
                size = info.split()[3]
                yield TreeEntry(path.decode("utf-8", "replace"), None if size == b"-" else int(size))
        whole = True
    finally:
        if not whole:  # the caller stopped early (a limit): the rest of a huge listing is not wanted
            proc.kill()
        reap(proc)
    if proc.returncode:
        raise SourceError(f"cannot list the files of the spec repo {repo} (git ls-tree exited with {proc.returncode})")


# Every attribute that makes a checked-out file differ from its blob (end of lines, $Id$, an encoding,
# a filter program from the user's git config): unset for the whole tree, so what `work_tree` counted
# is what is written.
_AS_STORED = "* -text -ident -filter -working-tree-encoding\n"


def check_out(repo: Path) -> None:
    """Write HEAD's tree into the work tree of a repository `fetch_bundle` made, each file as its blob is
    stored; nothing for a bare repository or one whose HEAD names no commit.

    For the checkout only, `info/attributes` (which outranks the tree's own .gitattributes) turns
    off every conversion; it goes again afterwards, and `git status` shows the tree clean.
    """
    if not _has_work_tree(repo):
        return
    attributes = repo / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    before = attributes.read_bytes() if attributes.exists() else None
    attributes.write_text(_AS_STORED)
    try:
        run(repo, "reset", "-q", "--hard", "HEAD")
    except GitFailed as exc:
        raise SourceError(f"cannot check out the spec repo restored from the bundle: {exc}") from exc
    finally:
        if before is None:
            attributes.unlink()
        else:
            attributes.write_bytes(before)
