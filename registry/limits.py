"""How much a user may send: body size, text field lengths, page numbers, and how lists shorten text (pure).

The one place the limits are written (docs/web.md lists them): the use cases check what people write
with `check_text`, the web edge refuses larger bodies and page numbers, and the list pages show long
texts through `shorten`. A NUL byte is refused everywhere: PostgreSQL cannot store one in text.
"""
from __future__ import annotations

from registry.errors import BadRequest

MAX_BODY_BYTES = 1024 * 1024  # a request body (a form or JSON), larger is 413
MAX_PAGE = 1_000_000  # the highest ?page=N a list page accepts (50 rows a page: fifty million rows)

TITLE = 200  # a proposal's title
REASON = 2_000  # why a proposal is withdrawn or rejected, a veto dismissed, an owner assigned; a revision's note
COMMENT = 20_000  # a comment, a review's comment, a proposal's rationale
CLAUSE_TEXT = 100_000  # one clause's proposed Markdown
GOVERNANCE_FILE = 100_000  # a proposed OWNERS.toml, policy.toml, specreg.toml or frameworks.toml
SHORT = 300  # how much of a long text a list shows
ANONYMOUS_REPORT_COMMITS = 1_000  # the longest evidence report range (in commits) built for someone not logged in


def check_text(field: str, value: str, limit: int) -> str:
    """`value` when it fits: BadRequest naming `field` when it holds a NUL byte or more than `limit` characters."""
    if "\x00" in value:
        raise BadRequest(f"{field} contains a NUL byte")
    if len(value) > limit:
        raise BadRequest(f"{field} is too long: {len(value):,} characters, at most {limit:,}")
    return value


def check_clean(field: str, value: str) -> str:
    """`value` when it has no NUL byte (an id, a query, a ref); BadRequest naming `field` otherwise."""
    return check_text(field, value, len(value))


def page_number(value: int) -> int:
    """A list page's number from 1 (lower counts as 1); BadRequest above MAX_PAGE."""
    if value > MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {MAX_PAGE:,}")
    return max(value, 1)


def shorten(text: str, limit: int = SHORT) -> str:
    """The text as a list shows it: whole when short, else its first `limit` characters and an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + "…"
