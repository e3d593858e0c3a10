"""Pure: what a person's name and email may contain.

Both are written into one-line formats: git identities (`Name <email> time tz`), `Approved-by:
Name <email>; time; meaning` trailers, audit records and printed lists. A line break there could
forge a second trailer or a fast-import command, and an angle bracket a second identity, so every
place that names a person (accounts, the SSO header, OWNERS.toml, the git writer) checks here.
"""
from __future__ import annotations

import unicodedata

from registry.errors import BadIdentity

# Bidirectional marks, embeddings, overrides and isolates reorder printed text: a name could show
# as another name, or hide what follows it.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "a line break", "\r": "a line break", "<": "'<'", ">": "'>'"}


def _forbidden(char: str, email: bool) -> bool:
    # Cc holds every ASCII and C1 control (\n, \r, \t, NUL, \x85...); Zl and Zp are U+2028/U+2029.
    return (char in "<>" or char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp")
            or (email and char.isspace()))


def _describe(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) in ("Zl", "Zp") or char in "\x0b\x0c\x1c\x1d\x1e\x85":
        return f"a line break (U+{ord(char):04X})"
    if char.isspace():
        return "a space"
    kind = "a bidirectional control" if char in _BIDI else "a control character"
    return f"{kind} (U+{ord(char):04X})"


def check_identity(name: str | None = None, email: str | None = None) -> None:
    """Raise BadIdentity when a name or email holds a line break, control character or `<`/`>`."""
    for what, value in (("name", name), ("email", email)):
        bad = next((c for c in value or "" if _forbidden(c, what == "email")), None)
        if bad is not None:
            raise BadIdentity(f"a person's {what} may not contain {_describe(bad)}: {value!r}")
