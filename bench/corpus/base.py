"""What every corpus shares: its description (`Corpus`), the `half` branch, one more commit."""
from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, Self

from registry.gitsource.writer import NewCommit, Write, import_history

from .prose import PEOPLE


class Shape(Protocol):
    """A generator's parameters: full size by default, `scaled` for a quicker run."""

    def scaled(self, factor: float) -> Self:
        """The same shape with `factor` times its counts (each kept above a working minimum)."""
        ...


@dataclass(frozen=True)
class Corpus:
    """A built repo and what ingest should find in it (the generator's own account)."""

    shape: str
    path: Path
    branch: str  # the checked-out branch; a branch `half` points at the middle of its history
    commits: int  # first-parent commits on `branch`
    documents: int  # spec documents at the head
    edit_path: str  # the document a "one new commit" benchmark edits
    ids_at_head: frozenset[str]  # explicit ids (`r[...]` markers, `{#id}` headings) at the head
    templated_ids: frozenset[str] = field(default=frozenset())  # markers right after an HTML comment
    renames: int = 0  # ids the history renamed while keeping the clause (typo fixes, moves, waves)
    rename_waves: tuple[tuple[int, int], ...] = ()  # (commit number, ids renamed) of each wave of renames
    tags: tuple[str, ...] = ()

    def save(self) -> None:
        """Write the description next to the repo, so a cached repo needs no rebuild."""
        data = asdict(self) | {"path": str(self.path), "ids_at_head": sorted(self.ids_at_head),
                               "templated_ids": sorted(self.templated_ids)}
        _description(self.path).write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, path: Path) -> Corpus | None:
        """The description saved next to the repo at path; None when there is none.

        The repo is where it was found, not where it was built: a cache reached through a symlink from
        another checkout recorded that checkout's path, which is gone when the checkout is."""
        where = _description(path)
        if not where.exists() or not (path / ".git").exists():
            return None
        data = json.loads(where.read_text())
        return cls(**data | {"path": path, "ids_at_head": frozenset(data["ids_at_head"]),
                             "templated_ids": frozenset(data["templated_ids"]),
                             "rename_waves": tuple(tuple(w) for w in data["rename_waves"]),
                             "tags": tuple(data["tags"])})


def _description(path: Path) -> Path:
    return path.parent / (path.name + ".json")


def add_half_branch(path: Path, branch: str, commits: int) -> None:
    """Point branch `half` at the middle of the first-parent history (for the memory column)."""
    subprocess.run(["git", "-C", str(path), "branch", "-f", "half", f"{branch}~{commits // 2}"], check=True)


def add_commit(path: Path, branch: str, doc: str, n: int) -> str:
    """Append one sentence to a paragraph in the middle of `doc` and commit it; the new head sha."""
    git = ["git", "-C", str(path)]
    head = subprocess.run([*git, "rev-parse", branch], capture_output=True, text=True, check=True).stdout.strip()
    text = subprocess.run([*git, "show", f"{head}:{doc}"], capture_output=True, text=True, check=True).stdout
    lines = text.split("\n")
    prose, fenced = [], False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line[:1].isalpha() and not line.startswith("r["):
            prose.append(i)
    at = prose[len(prose) // 2] if prose else len(lines) - 1
    lines[at] += f" One more sentence, number {n}, added after the benchmark's ingest."
    when = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=n)
    import_history(path, [NewCommit(branch, PEOPLE[n % len(PEOPLE)], when, f"One more edit ({n})",
                                    [Write(doc, "\n".join(lines).encode())], start=head)])
    return subprocess.run([*git, "rev-parse", branch], capture_output=True, text=True, check=True).stdout.strip()
