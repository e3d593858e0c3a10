"""The only package that touches git: reading history and blobs, and writing commits (`writer`)."""
from registry.gitsource.reader import FileChange, RawCommit, SpecSource, Tag, is_repository

# Code that writes imports registry.gitsource.writer itself: ingest only reads, and loading the
# writer here cost every ingest ~8 ms.
__all__ = ["FileChange", "RawCommit", "SpecSource", "Tag", "is_repository"]
