"""Pages of a list: which slice a page number shows, and how to say so (pure)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 50  # rows per page on every list page unless the list says otherwise (docs/web.md)


@dataclass(frozen=True)
class Window:
    """Where one page sits in a list of `total` items: page `number` (from 1) of `size` items."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based position of the page's first item (0 on an empty page)."""
        return self.offset + 1 if self.offset < self.total else 0

    @property
    def last(self) -> int:
        """The 1-based position of the page's last item (0 on an empty page)."""
        return min(self.offset + self.size, self.total) if self.first else 0

    @property
    def pages(self) -> int:
        """How many pages the list has (at least 1, so an empty list is "page 1 of 1")."""
        return max(1, -(-self.total // self.size))

    @property
    def past_end(self) -> bool:
        """A page number beyond the last page: it shows nothing and says so."""
        return self.number > self.pages

    @property
    def previous(self) -> int | None:
        """The page before (the last real page when this one is past the end), or None."""
        return min(self.number - 1, self.pages) if self.number > 1 else None

    @property
    def next(self) -> int | None:
        """The page after, or None on the last page."""
        return self.number + 1 if self.number < self.pages else None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and where it sits in the whole list."""

    items: tuple[T, ...]
    window: Window


def window(number: int, size: int, total: int) -> Window:
    """The window of page `number` (below 1 counts as 1)."""
    return Window(max(number, 1), size, total)


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """Slice an already loaded list (for lists that are short or must be loaded whole anyway)."""
    w = window(number, size, len(items))
    return Page(tuple(items[w.offset:w.offset + w.size]), w)
