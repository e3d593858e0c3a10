"""Build the demo spec repo: replay `spec_repo/history.toml` into a real git history with fixed dates."""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath

from registry.config import PROJECT_ROOT
from registry.errors import ConfigError, SourceError, SpecregError
from registry.gitsource import SpecSource
from registry.gitsource.writer import Delete, NewCommit, Person, Write, checkout, import_history, init_repo

# Computing a path is not I/O; nothing is read until a build is asked for.
DEFAULT_SOURCE = PROJECT_ROOT / "spec_repo"
MAIN = "main"

_COMMIT_KEYS = {"author", "date", "message", "branch", "start", "merge", "tag", "tag_message",
                "rename", "write", "edit", "delete"}
# Ops run in this order within a commit, so an edit may change a file that was just renamed.
_OP_KEYS = {"rename": {"from", "to"}, "write": {"path", "file", "text"},
            "edit": {"path", "find", "replace"}, "delete": {"path"}}

Tree = dict[str, str]  # path -> text: the whole tree of one branch


def load_history(source: Path) -> list[NewCommit]:
    """Read `source/history.toml` and replay it into the commits to import, checking every step."""
    path = source / "history.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no history.toml in {source}: point --source at a demo spec source") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    commits = data.get("commit")
    if not isinstance(commits, list) or not commits:
        raise ConfigError(f"{path} has no [[commit]] tables")
    replay = _Replay(source, _authors(path, data.get("authors")))
    return [replay.commit(n, raw) for n, raw in enumerate(commits, start=1)]


def _authors(path: Path, table: object) -> dict[str, Person]:
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{path} needs an [authors] table: key = {{ name = ..., email = ... }}")
    people = {}
    for key, value in table.items():
        if not (isinstance(value, dict) and isinstance(value.get("name"), str)
                and isinstance(value.get("email"), str)):
            raise ConfigError(f"{path}: author {key!r} needs a name and an email")
        people[key] = Person(value["name"], value["email"])
    return people


class _Replay:
    """The tree of every branch while history is replayed: fast-import wants whole files, not edits."""

    def __init__(self, source: Path, authors: dict[str, Person]) -> None:
        self.source = source
        self.authors = authors
        self.trees: dict[str, Tree] = {MAIN: {}}
        self.forks: dict[str, Tree] = {}  # the tree each side branch started from: its merge base
        self.tags: set[str] = set()

    def commit(self, n: int, raw: object) -> NewCommit:
        """Check one [[commit]] table, apply its ops and return the commit that records the result."""
        if not isinstance(raw, dict):
            raise ConfigError(f"history.toml commit {n}: not a table")
        subject = (str(raw.get("message", "")).strip().splitlines() or ["no message"])[0]
        where = f"history.toml commit {n} ({subject!r})"
        if unknown := sorted(set(raw) - _COMMIT_KEYS):
            raise ConfigError(f"{where}: unknown keys {unknown}; allowed: {sorted(_COMMIT_KEYS)}")
        author = raw.get("author")
        if not isinstance(author, str) or author not in self.authors:
            raise ConfigError(f"{where}: unknown author {author!r}; known: {', '.join(self.authors)}")
        date = raw.get("date")
        if not isinstance(date, datetime) or date.tzinfo is None:
            raise ConfigError(f"{where}: date must be a TOML date-time with an offset, e.g. 2024-01-08T09:30:00Z")
        message = raw.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ConfigError(f"{where}: message is missing")
        branch, start, merge, tag = (raw.get(k) for k in ("branch", "start", "merge", "tag"))
        branch = branch or MAIN
        if not all(v is None or isinstance(v, str) for v in (branch, start, merge, tag)):
            raise ConfigError(f"{where}: branch, start, merge and tag must be strings")
        before = self._branch(where, branch, start)
        tree = self._merge(where, before, merge) if merge else dict(before)
        for kind in _OP_KEYS:
            for op in _op_list(where, kind, raw.get(kind, [])):
                getattr(self, f"_{kind}")(f"{where}: {kind} of", tree, op)
        self.trees[branch] = tree
        if tag in self.tags:
            raise ConfigError(f"{where}: tag {tag!r} is used twice")
        if tag:
            self.tags.add(tag)
        return NewCommit(
            branch=branch, author=self.authors[author], date=date, message=message.strip() + "\n",
            ops=_diff(before, tree), start=start, merge=merge, tag=tag, tag_message=raw.get("tag_message"),
        )

    def _branch(self, where: str, branch: str, start: str | None) -> Tree:
        """The tree a commit starts from; `start` creates a side branch from another branch's tip."""
        if start is None:
            if branch not in self.trees:
                raise ConfigError(f"{where}: branch {branch!r} does not exist yet; "
                                  f"give its first commit start = \"{MAIN}\"")
            return self.trees[branch]
        if branch in self.trees:
            raise ConfigError(f"{where}: branch {branch!r} already exists; only its first commit has start")
        if start not in self.trees:
            raise ConfigError(f"{where}: start {start!r} is not a branch; known: {', '.join(self.trees)}")
        self.trees[branch] = dict(self.trees[start])
        self.forks[branch] = dict(self.trees[start])
        return self.trees[branch]

    def _merge(self, where: str, ours: Tree, side: str) -> Tree:
        """A file-level three-way merge: fast-import records parents but takes the tree as given."""
        if side not in self.forks:
            raise ConfigError(f"{where}: merge {side!r} must name a side branch created with start")
        base, theirs = self.forks[side], self.trees[side]
        merged: Tree = {}
        for path in sorted(set(base) | set(ours) | set(theirs)):
            b, o, t = base.get(path), ours.get(path), theirs.get(path)
            if o != b and t != b and o != t:
                raise ConfigError(f"{where}: {path} changed on both {side!r} and this branch; "
                                  "the demo builder merges whole files, so change it on one side only")
            result = o if t == b else t
            if result is not None:
                merged[path] = result
        return merged

    def _rename(self, where: str, tree: Tree, op: dict[str, str]) -> None:
        old, new = _repo_path(where, op["from"]), _repo_path(where, op["to"])
        if old not in tree:
            raise ConfigError(f"{where} {old}: no such file at this point of the history")
        if new in tree:
            raise ConfigError(f"{where} {old}: {new} already exists")
        tree[new] = tree.pop(old)

    def _write(self, where: str, tree: Tree, op: dict[str, str]) -> None:
        path = _repo_path(where, op["path"])
        if ("file" in op) == ("text" in op):
            raise ConfigError(f"{where} {path}: give exactly one of file (under files/) or text")
        if "text" in op:
            tree[path] = op["text"]
            return
        try:
            tree[path] = (self.source / "files" / op["file"]).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where} {path}: {self.source / 'files' / op['file']} does not exist") from None

    def _edit(self, where: str, tree: Tree, op: dict[str, str]) -> None:
        path, find = _repo_path(where, op["path"]), op["find"]
        if path not in tree:
            raise ConfigError(f"{where} {path}: no such file at this point of the history")
        count = tree[path].count(find) if find else 0
        if count != 1:
            found = "not found" if count == 0 else f"found {count} times (it must be unique)"
            raise ConfigError(f"{where} {path}: find text {found}: {find!r}")
        tree[path] = tree[path].replace(find, op["replace"])

    def _delete(self, where: str, tree: Tree, op: dict[str, str]) -> None:
        path = _repo_path(where, op["path"])
        if tree.pop(path, None) is None:
            raise ConfigError(f"{where} {path}: no such file at this point of the history")


def _op_list(where: str, kind: str, ops: object) -> list[dict[str, str]]:
    """Validate a commit's `write`/`edit`/... entries: a list of tables with known string keys."""
    if not isinstance(ops, list):
        raise ConfigError(f"{where}: {kind} must be a list of tables ([[commit.{kind}]])")
    allowed = _OP_KEYS[kind]
    required = allowed - {"file", "text"}
    for op in ops:
        if not isinstance(op, dict) or set(op) - allowed or required - set(op):
            raise ConfigError(f"{where}: each {kind} needs {sorted(required)} (allowed: {sorted(allowed)}); got {op!r}")
        if not all(isinstance(v, str) for v in op.values()):
            raise ConfigError(f"{where}: {kind} values must be strings; got {op!r}")
    return ops


def _repo_path(where: str, path: str) -> str:
    """A path inside the repo: relative, `/`-separated, no `..`."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or ".." in parts or "\\" in path:
        raise ConfigError(f"{where}: {path!r} is not a relative path inside the repo")
    return path


def _diff(before: Tree, after: Tree) -> list[Write | Delete]:
    """Ops that turn one tree into the other; sorted so the stream, and so every sha, is stable."""
    ops: list[Write | Delete] = [Delete(p) for p in sorted(before) if p not in after]
    ops += [Write(p, after[p].encode()) for p in sorted(after) if before.get(p) != after[p]]
    return ops


def build_demo_repo(dest: Path, source: Path | None = None) -> Path:
    """Build the demo spec repo at dest and check out main.

    An earlier build is replaced, unless it is this same build with commits on top (proposals
    merged by the registry): that one is kept, so the demo's merged proposals survive a re-run.
    """
    commits = load_history(source or DEFAULT_SOURCE)
    dest = Path(dest).absolute()
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest} is a file; choose a directory for the demo spec repo")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / ".git").is_dir():
        raise ConfigError(f"{dest} is not empty and is not a demo build; choose another directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Build beside dest and swap it in at the end, so a failed build never costs the previous one.
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-building-", dir=dest.parent))
    try:
        init_repo(staging, MAIN)
        import_history(staging, commits)
        checkout(staging, MAIN)
        if _builds_on(dest, staging):
            shutil.rmtree(staging)  # the same demo with merged proposals on top: keep them
            return dest
        _remove_previous_build(dest, _root_commit(staging))
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _root_commit(path: Path) -> str | None:
    """The first commit of main, which identifies a demo build whatever came after it."""
    try:
        with SpecSource(path) as src:
            return list(src.first_parent_shas(src.resolve(MAIN)))[-1]
    except SourceError:
        return None


def _builds_on(dest: Path, staging: Path) -> bool:
    """True when dest is this very build plus commits on top (merged proposals), and has no local edits."""
    if not (dest / ".git").is_dir():
        return False
    with SpecSource(staging) as built:
        head = built.resolve(MAIN)
    try:
        with SpecSource(dest) as existing:
            return (existing.has_commit(head) and existing.is_ancestor(head, existing.resolve(MAIN))
                    and not existing.dirty_paths())
    except SourceError:
        return False


def _remove_previous_build(dest: Path, root: str | None) -> None:
    """Delete dest if it is empty or an earlier, unmodified demo build; refuse anything else."""
    if not dest.exists():
        return
    if not any(dest.iterdir()):
        dest.rmdir()
        return
    if _root_commit(dest) != root:
        raise ConfigError(f"{dest} is a git repository that is not a demo build; not replacing it")
    if changed := _local_changes(dest):
        raise ConfigError(f"{dest} is a demo build with local changes ({', '.join(changed[:5])}); "
                          "commit or remove them, or delete the directory yourself")
    shutil.rmtree(dest)


def _local_changes(dest: Path) -> list[str]:
    """Work-tree files that are untracked or differ from HEAD."""
    with SpecSource(dest) as src:
        return src.dirty_paths()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m registry.demo.repo DEST`: build the demo spec repo at DEST."""
    parser = argparse.ArgumentParser(prog="python -m registry.demo.repo", description=main.__doc__)
    parser.add_argument("dest", type=Path, help="directory to build the repo in (replaced if it is a demo build)")
    parser.add_argument("--source", type=Path, default=None, help="demo spec source (default: spec_repo/)")
    args = parser.parse_args(argv)
    try:
        path = build_demo_repo(args.dest, args.source)
    except SpecregError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"built the demo spec repo at {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
