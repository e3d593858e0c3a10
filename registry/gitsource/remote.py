"""The spec repo's remote (SPECREG_REMOTE): Specreg's own bare clone, fetch into it, push a merge from it.

The clone is bare and mirrors the remote's branches and tags under the same names (refs/heads/*,
refs/tags/*), so everything that reads the spec repo reads the clone as it would a local repo. Only
the callers' database lock serializes fetches and pushes into one clone (see registry.ledger.sync).
A push is ordinary, never forced: the remote accepts it only as a fast-forward of the branch, which
makes the remote's ref update the merge's compare-and-swap.

Git never prompts (no terminal), gives up on a stalled transfer, and every message that could name
the URL hides the credentials a URL may carry (https://user:token@host/...).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from registry.errors import RemoteRefused, RemoteUnavailable, SourceError

FETCH_SPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
TIMEOUT = 300  # seconds any one git network command may take before it counts as unreachable
_ENV = {
    "LANGUAGE": "C", "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",  # a web request must never wait for someone to type a password
    "GIT_HTTP_LOW_SPEED_LIMIT": "1000", "GIT_HTTP_LOW_SPEED_TIME": "30",  # bytes/s, seconds: a stalled transfer
}
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by `***@`."""
    return _USERINFO.sub("***@", text)


@dataclass(frozen=True)
class PushOutcome:
    """What the remote did with a pushed ref: accepted, or refused because its branch moved (`reason`)."""

    accepted: bool
    reason: str = ""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one network git command; RemoteUnavailable when it cannot start or takes too long."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=os.environ | _ENV, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RemoteUnavailable(f"git {args[0]} gave up after {TIMEOUT} s: the remote is not answering") from exc
    except OSError as exc:
        raise RemoteUnavailable(f"git {args[0]} could not run: {exc}") from exc


def _unavailable(action: str, url: str, done: subprocess.CompletedProcess[str]) -> RemoteUnavailable:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    why = redact(lines[-1].strip() if lines else f"git exited with {done.returncode}")
    return RemoteUnavailable(f"could not {action} the spec repo's remote {redact(url)}: {why}")


def ensure_clone(clone: Path, url: str) -> bool:
    """Clone the remote into `clone` (bare) unless it is already there; True when it cloned now.

    The clone is made beside its final place and renamed into it, so a process that dies mid-clone,
    or two processes cloning at once, never leave a half clone where the readers look.
    """
    if (clone / "HEAD").is_file():
        return False
    if clone.exists() and any(clone.iterdir()):
        raise SourceError(f"{clone} exists but is not Specreg's clone of the remote; move it away")
    clone.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{clone.name}-", dir=clone.parent))
    try:
        done = _git(clone.parent, "clone", "--bare", "--quiet", "--", url, str(staging / "repo"))
        if done.returncode:
            raise _unavailable("clone", url, done)
        if clone.exists():
            clone.rmdir()  # empty (checked above); a rename onto a non-empty folder fails, which is the race we want
        try:
            (staging / "repo").rename(clone)
        except OSError:
            if not (clone / "HEAD").is_file():
                raise
            return False  # another process finished its clone first
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _local(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one git command on the clone alone (no network)."""
    return subprocess.run(["git", *args], cwd=clone, env=os.environ | _ENV, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)


def cloned_from(clone: Path) -> str | None:
    """The URL the clone was made from (or last moved to on purpose), its `remote.origin.url`; None if it names none."""
    return _local(clone, "config", "--get", "remote.origin.url").stdout.strip() or None


def record_origin(clone: Path, url: str) -> None:
    """Make `url` the one the clone records as its remote."""
    done = _local(clone, "config", "remote.origin.url", url)
    if done.returncode:
        raise SourceError(f"could not record the remote in {clone}: {redact(done.stderr.strip())}")


def mirrored_refs(clone: Path) -> dict[str, str]:
    """The clone's branches and tags (what a fetch moves), each with the object it points at."""
    out = _local(clone, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags").stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def put_back(clone: Path, refs: dict[str, str]) -> None:
    """Set the clone's branches and tags to `refs` again (as `mirrored_refs` read them before a fetch)."""
    lines = [f"delete {ref}" for ref in mirrored_refs(clone) if ref not in refs]
    lines += [f"update {ref} {sha}" for ref, sha in refs.items()]
    done = subprocess.run(["git", "update-ref", "--stdin"], cwd=clone, env=os.environ | _ENV, capture_output=True,
                          text=True, input="".join(line + "\n" for line in lines))
    if done.returncode:
        raise SourceError(f"could not put the clone's refs back: {done.stderr.strip()}")


def discard_clone(clone: Path) -> None:
    """Remove a clone this process has just made (it cloned a repository that must not be read)."""
    shutil.rmtree(clone, ignore_errors=True)


def fetch(clone: Path, url: str) -> None:
    """Bring the clone's branches and tags to the remote's (a branch or tag gone there goes here too)."""
    done = _git(clone, "fetch", "--quiet", "--prune", "--no-write-fetch-head", "--", url, *FETCH_SPECS)
    if done.returncode:
        raise _unavailable("fetch from", url, done)


def fetch_ref(clone: Path, url: str, ref: str, into: str) -> None:
    """Copy the remote's `ref` to the clone's `into` (a mirror, moved however the remote's moved), or
    delete `into` when the remote has no `ref`: the pattern refspec matches nothing instead of failing."""
    done = _git(clone, "fetch", "--quiet", "--prune", "--no-write-fetch-head", "--", url, f"+{ref}*:{into}*")
    if done.returncode:
        raise _unavailable("fetch from", url, done)


def push(clone: Path, url: str, sha: str, branch: str, on: str | None = None) -> PushOutcome:
    """Push commit `sha` to the remote's `branch` (a fast-forward only); the outcome, read from --porcelain.

    `on`: the head `sha` was written on; the push is then taken only while the branch is exactly there
    (a lease), so a branch forced back to an ancestor of it, which `sha` would fast-forward, refuses the
    push instead of getting the removed commits back. `sha` descends from `on`, so nothing is forced.
    Refused because the branch moved (non-fast-forward, fetch first, stale lease): PushOutcome(False, why).
    Refused otherwise (a hook, a protected branch): RemoteRefused. Unreachable: RemoteUnavailable.
    """
    return push_ref(clone, url, sha, f"refs/heads/{branch}", on)


def push_ref(clone: Path, url: str, sha: str, ref: str, on: str | None = None) -> PushOutcome:
    """Push commit `sha` to the remote's full `ref` (a fast-forward only), as `push` does for a branch."""
    branch = ref.removeprefix("refs/heads/")
    lease = [f"--force-with-lease={ref}:{on}"] if on else []
    done = _git(clone, "push", "--porcelain", *lease, "--", url, f"{sha}:{ref}")  # (--quiet hides accepted refs)
    status = _porcelain(done.stdout).get(ref)
    if status is None:
        raise _unavailable("push to", url, done)
    flag, summary = status
    if flag in (" ", "*", "="):  # fast-forward, new branch, already there
        return PushOutcome(True)
    if flag == "!" and summary.startswith("[rejected]"):
        return PushOutcome(False, summary)
    raise RemoteRefused(f"the remote {redact(url)} refused the push to {branch}: {redact(summary)}")


def _porcelain(out: str) -> dict[str, tuple[str, str]]:
    """`git push --porcelain` lines `<flag>\\t<from>:<to>\\t<summary>` by destination ref: (flag, summary)."""
    found = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and len(parts[0]) == 1 and ":" in parts[1]:
            found[parts[1].rsplit(":", 1)[1]] = (parts[0], parts[2].strip())
    return found


def move_branch(clone: Path, branch: str, new: str, old: str) -> None:
    """After the remote accepted `new`, move the clone's own branch there too (from `old`, as fetch would)."""
    done = subprocess.run(["git", "update-ref", "-m", "specreg push", f"refs/heads/{branch}", new, old], cwd=clone,
                          env=os.environ | _ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode:
        raise SourceError(f"the remote took {new[:12]} but the clone's {branch} could not follow: "
                          f"{done.stderr.strip()}; the next sync brings it")
