"""Run git for the readers: one command and its output, or a process to stream from.

Reading needs nothing of GitPython but starting git, and importing GitPython cost every command
that reads the spec repo about 50 ms, so the readers start git themselves (the writer, which runs
only when a proposal merges, still uses GitPython). As GitPython does, git runs in the repository's
directory with English messages.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from registry.errors import SourceError

_ENV = {"LANGUAGE": "C", "LC_ALL": "C"}


class GitFailed(Exception):
    """git exited with a status other than the ones the caller accepts."""

    def __init__(self, args: tuple[str, ...], status: int, stderr: bytes) -> None:
        super().__init__(f"git {' '.join(args)} exited with {status}: {stderr.decode('utf-8', 'replace').strip()}")
        self.status = status


def repository(path: Path) -> Path:
    """`path` when it is a repository's work tree or a bare repository (not a folder inside one)."""
    if not path.is_dir():
        raise SourceError(f"not a git repository: {path}")
    git_dir = path / ".git"
    if git_dir.exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()):
        return path
    raise SourceError(f"not a git repository: {path}")


def run(repo: Path, *args: str) -> bytes:
    """git's output for `git ARGS` in `repo`; GitFailed when it exits with another status than 0."""
    done = subprocess.run(["git", *args], cwd=repo, env=os.environ | _ENV, stdin=subprocess.DEVNULL,
                          capture_output=True)
    if done.returncode:
        raise GitFailed(args, done.returncode, done.stderr)
    return done.stdout


def text(repo: Path, *args: str) -> str:
    """As `run`, decoded, without the final newline (as GitPython returns it)."""
    out = run(repo, *args).decode("utf-8", "replace")
    return out[:-1] if out.endswith("\n") else out


def succeeds(repo: Path, *args: str) -> bool:
    """True when `git ARGS` exits with 0 (a question git answers with its exit status)."""
    return subprocess.run(["git", *args], cwd=repo, env=os.environ | _ENV, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def stream(repo: Path, *args: str, stdin: bool = False) -> subprocess.Popen[bytes]:
    """A git process whose output the caller reads as it comes (and whose input it writes, with stdin)."""
    return subprocess.Popen(["git", *args], cwd=repo, env=os.environ | _ENV,
                            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a git process we may have stopped reading early; its exit status no longer matters."""
    proc.wait()
