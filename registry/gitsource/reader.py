"""Read a spec repo's first-parent history: one `git log --raw` pass and one `cat-file --batch`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from registry.errors import SourceError
from registry.gitsource import process
from registry.gitsource.blobs import BlobReader
from registry.gitsource.process import GitFailed, reap

NULL_SHA = "0" * 40
# \x01 starts each commit record; fields are NUL separated (git log -z keeps paths NUL separated too).
_LOG_FORMAT = "%x01%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x00"


@dataclass(frozen=True)
class FileChange:
    """One path a commit changed, against its first parent."""

    status: str  # A, M, D, R (rename), T (type change), C (copy)
    path: str
    old_path: str | None
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True)
class RawCommit:
    """A commit on the first-parent chain with the files it changed."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    message: str
    changes: tuple[FileChange, ...] = field(default=())


@dataclass(frozen=True)
class Tag:
    """A tag and the commit it points at (peeled)."""

    name: str
    commit: str
    tagged_at: datetime | None
    message: str


def _utc(ts: str) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=UTC)


def _parse_changes(raw: str) -> tuple[FileChange, ...]:
    """Parse `--raw -z` entries: ':old_mode new_mode old new STATUS\\0path\\0[path2\\0]'."""
    tokens = raw.lstrip("\0\n").split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(tokens):
        meta = tokens[i]
        if not meta.startswith(":"):
            i += 1
            continue
        _old_mode, _new_mode, old_blob, new_blob, status = meta[1:].split(" ")
        kind = status[0]
        if kind in "RC":
            old_path, path = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old_path, path = None, tokens[i + 1]
            i += 2
        changes.append(
            FileChange(
                status=kind,
                path=path,
                old_path=old_path,
                old_blob=None if old_blob == NULL_SHA else old_blob,
                new_blob=None if new_blob == NULL_SHA else new_blob,
            )
        )
    return tuple(changes)


def _parse_record(record: str) -> RawCommit:
    head = record.split("\0", 9)
    sha, parents, an, ae, at, cn, ce, ct, message, rest = head
    return RawCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=an,
        author_email=ae,
        authored_at=_utc(at),
        committer_name=cn,
        committer_email=ce,
        committed_at=_utc(ct),
        message=message,
        changes=_parse_changes(rest),
    )


def revision(value: str) -> str:
    """`value`, which names a commit on git's command line; SourceError if git would read it as an option.

    Revisions come from the database (the ledger's head, a proposal's base) and from settings, and a
    value beginning with '-' (`--output=FILE`) would be an option to git, not a name: no branch, tag or
    sha begins with one.
    """
    if value.startswith("-"):
        raise SourceError(f"{value[:80]!r} is not a git revision (it begins with '-')")
    return value


def is_repository(path: str | Path) -> bool:
    """True when `path` is a repository's work tree or a bare repository (no git process starts)."""
    try:
        process.repository(Path(path))
    except SourceError:
        return False
    return True


class SpecSource:
    """An open spec repository; use as a context manager so the repo is closed after use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._dir = process.repository(self.path)
        self._blobs = BlobReader(self._dir)

    def __enter__(self) -> SpecSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop git helper processes held by the repo."""
        self._blobs.close()

    def resolve(self, rev: str) -> str:
        """Return the commit sha a branch, tag or sha names."""
        try:
            return process.text(self._dir, "rev-parse", "--verify", "--quiet", f"{revision(rev)}^{{commit}}")
        except GitFailed as exc:
            raise SourceError(f"unknown branch {rev!r} in {self.path}; {self._has_branches()}") from exc

    def branches(self) -> list[str]:
        """The names of the repository's local branches, sorted."""
        return sorted(process.text(self._dir, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads").splitlines())

    def checked_out_branch(self) -> str:
        """The branch HEAD names: the checked-out branch, or in a bare repository its default branch."""
        try:
            ref = process.text(self._dir, "symbolic-ref", "--quiet", "HEAD")
        except GitFailed:
            ref = ""
        name = ref.removeprefix("refs/heads/")
        if not ref.startswith("refs/heads/"):
            raise SourceError(f"HEAD is detached in {self.path}, so no branch is checked out: name the "
                              f"branch to read with --branch or SPECREG_BRANCH; {self._has_branches()}")
        if name not in self.branches():
            raise SourceError(f"HEAD in {self.path} names branch {name!r}, which has no commits: name the "
                              f"branch to read with --branch or SPECREG_BRANCH; {self._has_branches()}")
        return name

    def _has_branches(self) -> str:
        names = self.branches()
        return f"the repository has: {', '.join(names)}" if names else "the repository has no branches yet"

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when `ancestor` is reachable from `descendant`; False when either is not a commit in the repo."""
        return process.succeeds(self._dir, "merge-base", "--is-ancestor", revision(ancestor), revision(descendant))

    def has_commit(self, sha: str) -> bool:
        """True when the object exists and is a commit."""
        return process.succeeds(self._dir, "cat-file", "-e", f"{revision(sha)}^{{commit}}")

    def first_parent_shas(self, head: str) -> Iterator[str]:
        """Yield shas of head's first-parent chain, newest first."""
        proc = process.stream(self._dir, "rev-list", "--first-parent", revision(head))
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                yield line.decode().strip()
        finally:
            proc.stdout.close()
            reap(proc)

    def count(self, head: str, since: str | None = None) -> int:
        """Number of first-parent commits after `since` up to head."""
        rng = f"{revision(since)}..{revision(head)}" if since else revision(head)
        return int(process.text(self._dir, "rev-list", "--first-parent", "--count", rng))

    def count_after(self, since: str, head: str) -> int | None:
        """As `count(head, since)` when `since` is an ancestor of head; None when it is not (or not in the repo).

        One git process answers both questions (`is_ancestor`, then `count`): `since...head` is
        `head ^since` when since is a merge base of the two, and holds since itself otherwise.
        """
        try:
            out = process.text(self._dir, "rev-list", "--first-parent", "--left-right", "--count",
                               f"{revision(since)}^{{commit}}...{revision(head)}")
        except GitFailed:
            return None
        left, right = out.split()
        return int(right) if left == "0" else None

    def log(self, head: str, since: str | None = None, paths: Sequence[str] = ()) -> Iterator[RawCommit]:
        """Yield first-parent commits after `since` up to head, oldest first, with their changes.

        `paths`: only the commits that changed one of them, with only those changes.
        """
        rng = f"{revision(since)}..{revision(head)}" if since else revision(head)
        proc = process.stream(self._dir, "log", "--first-parent", "-m", "--reverse", "--raw", "-z", "--no-abbrev",
                              "-M", "--no-color", f"--format={_LOG_FORMAT}", rng, "--", *paths)
        assert proc.stdout is not None
        out = proc.stdout
        buf = b""
        try:
            for chunk in iter(lambda: out.read(1 << 16), b""):
                buf += chunk
                parts = buf.split(b"\x01")
                buf = parts.pop()
                for part in parts:
                    if part:
                        yield _parse_record(part.decode("utf-8", errors="replace"))
            if buf:
                yield _parse_record(buf.decode("utf-8", errors="replace"))
        finally:
            proc.stdout.close()
            reap(proc)

    def changed(self, head: str, paths: Sequence[str]) -> list[tuple[str, str]]:
        """(commit, path) for each of `paths` that a commit on head's first-parent history changed, oldest first.

        A merge counts against its first parent and a rename as a delete and an add, as `log` gives them to ingest."""
        out = process.text(self._dir, "log", "--first-parent", "-m", "--reverse", "--no-renames", "--name-only",
                           "-z", "--no-color", "--format=%x01%H", revision(head), "--", *paths)
        found: list[tuple[str, str]] = []
        for record in out.split("\x01"):
            sha, *names = [part.strip("\n") for part in record.split("\0")]
            found += [(sha, name) for name in names if name]
        return found

    def tags(self) -> list[Tag]:
        """All tags that point (possibly through tag objects) at commits."""
        out = process.text(self._dir, "for-each-ref",
                           "--format=%(refname:short)%00%(*objectname)%00%(objectname)%00%(objecttype)"
                           "%00%(creatordate:unix)%00%(contents:subject)", "refs/tags")
        tags: list[Tag] = []
        for line in out.splitlines():
            name, peeled, obj, kind, when, subject = line.split("\0")
            commit = peeled or obj
            if kind == "tag" and not peeled:
                continue
            tags.append(Tag(name, commit, _utc(when) if when else None, subject))
        return tags

    def trailers(self, head: str, key: str) -> list[tuple[str, str]]:
        """(commit, value) for every `key:` trailer on head's first-parent history, oldest first."""
        out = process.text(self._dir, "log", "--first-parent", "--reverse",
                           f"--format=%H%x00%(trailers:key={key},valueonly,separator=%x01)%x00", revision(head))
        found: list[tuple[str, str]] = []
        parts = out.split("\0")
        for sha, values in zip(parts[0::2], parts[1::2]):
            for value in values.split("\x01"):
                if value.strip():
                    found.append((sha.strip(), value.strip()))
        return found

    def ref_messages(self, ref: str, every_parent: bool = False) -> list[tuple[str, str]]:
        """(commit, message) of every commit on a ref's first-parent history (`every_parent`: its whole
        history, each commit after all its children), newest first; [] when it does not exist."""
        if not process.succeeds(self._dir, "rev-parse", "--verify", "--quiet", f"{revision(ref)}^{{commit}}"):
            return []
        walk = "--topo-order" if every_parent else "--first-parent"
        out = process.text(self._dir, "log", walk, "--format=%H%x00%B%x01", ref, "--")
        found = [part.strip("\n").split("\0", 1) for part in out.split("\x01") if part.strip()]
        return [(sha.strip(), message) for sha, message in found]

    def dirty_paths(self) -> list[str]:
        """Work-tree paths that differ from HEAD or are untracked."""
        out = process.text(self._dir, "status", "--porcelain", "--untracked-files=all", "-z")
        return [entry[3:] for entry in out.split("\0") if len(entry) > 3]

    def blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, content) for each requested blob, in request order, via the source's cat-file process.

        git starts on the request at once: ask for the next batch before working through this one.
        """
        return self._blobs.read(shas)

    def present(self, commit: str, paths: Sequence[str]) -> set[str] | None:
        """Which of `paths` exist in `commit`'s tree (one `git ls-tree`); None when `commit` is not a commit here."""
        if not paths:
            return set()
        try:
            out = process.run(self._dir, "ls-tree", "-z", "--name-only", "--full-tree", f"{revision(commit)}^{{commit}}",
                              "--", *paths)
        except GitFailed:
            return None
        return {name.decode("utf-8", errors="replace") for name in out.split(b"\0") if name}

    def read_file(self, commit: str, path: str) -> bytes | None:
        """Content of one file at one commit, or None when absent (asked of the cat-file process: no git to start)."""
        if "\n" not in commit + path:  # (cat-file reads one name a line)
            return self._blobs.read_named(f"{commit}:{path}")
        try:
            return process.run(self._dir, "show", f"{revision(commit)}:{path}")
        except GitFailed:
            return None
