"""The only package that touches git: reading history and blobs, and writing commits."""
from registry.gitsource.reader import FileChange, RawCommit, SpecSource, Tag
from registry.gitsource.writer import (
    Delete,
    NewCommit,
    Person,
    Rename,
    Write,
    checkout,
    import_history,
    init_repo,
    set_branch,
)

__all__ = [
    "Delete", "FileChange", "NewCommit", "Person", "RawCommit", "Rename", "SpecSource", "Tag",
    "Write", "checkout", "import_history", "init_repo", "set_branch",
]
