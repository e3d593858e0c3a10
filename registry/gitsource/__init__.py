"""The only package that touches git: reading history and blobs, and writing commits."""
from registry.gitsource.reader import FileChange, RawCommit, SpecSource, Tag
from registry.gitsource.writer import (
    Delete,
    NewCommit,
    Person,
    Rename,
    Write,
    checkout,
    commit_onto,
    compare_and_swap,
    import_history,
    init_repo,
    set_branch,
    sync_worktree,
)

__all__ = [
    "Delete", "FileChange", "NewCommit", "Person", "RawCommit", "Rename", "SpecSource", "Tag",
    "Write", "checkout", "commit_onto", "compare_and_swap", "import_history", "init_repo", "set_branch",
    "sync_worktree",
]
