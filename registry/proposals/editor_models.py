"""Typed read models of what the proposal editor starts from: a clause's Markdown, or where a new clause goes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClauseMarkdown:
    """A clause's full Markdown at the head (heading line and body), as an editor starts from."""

    id: str
    document: str
    commit: str
    text: str
    title: str
    attributes: dict[str, Any]
    body: str


@dataclass(frozen=True)
class NewClausePlace:
    """Where a new clause would go (after a clause, or at the end of a document) and an example heading."""

    after: str | None
    after_title: str | None
    document: str
    commit: str
    example: str
