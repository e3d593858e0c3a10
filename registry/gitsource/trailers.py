"""Pure: the registry's commit messages and their git trailers (`Key: value` lines at the end)."""
from __future__ import annotations

import re
from collections.abc import Sequence

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]+(.+?)[ \t]*$")
PROPOSAL_ID = "Proposal-Id"
APPROVED_BY = "Approved-by"
AUDIT_HEAD = "Audit-Head"
MERGED_BY = "Merged-by"
VETO_DISMISSED_BY = "Veto-dismissed-by"
CHECK = "Check"  # a required check that passed: `name=success; url`


def one_line(text: str) -> str:
    """A value that stays on one trailer line whatever a user typed."""
    return " ".join(text.split())


def commit_message(title: str, rationale: str, trailers: Sequence[tuple[str, str]]) -> str:
    """Subject (the title), a blank line, the rationale, a blank line, then the trailers."""
    parts = [one_line(title) or "Untitled proposal"]
    body = "\n".join(line.rstrip() for line in rationale.strip().splitlines()).strip()
    if body:
        # A rationale whose last paragraph looks like trailers would be read as trailers; fence it off.
        parts.append(body if not _looks_like_trailers(body) else body + "\n\n(end of rationale)")
    parts.append("\n".join(f"{k}: {one_line(v)}" for k, v in trailers))
    return "\n\n".join(parts) + "\n"


def _looks_like_trailers(text: str) -> bool:
    last = text.strip().split("\n\n")[-1].splitlines()
    return bool(last) and all(_TRAILER.match(line) for line in last)


def parse_trailers(message: str) -> list[tuple[str, str]]:
    """The (key, value) pairs of the message's last paragraph, when every line of it is a trailer."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return []
    lines = paragraphs[-1].strip().splitlines()
    matches = [_TRAILER.match(line) for line in lines]
    if not all(matches):
        return []
    return [(m.group(1), m.group(2)) for m in matches if m]


def values(message: str, key: str) -> list[str]:
    """Every value of one trailer key (keys compare case-insensitively, as git's do)."""
    return [v for k, v in parse_trailers(message) if k.lower() == key.lower()]


def approved_by(name: str, email: str, when: str, meaning: str) -> str:
    """An `Approved-by` value: `Name <email>; time; meaning`."""
    return f"{one_line(name)} <{email}>; {when}; {one_line(meaning)}"


def merged_by(name: str, email: str, when: str) -> str:
    """A `Merged-by` value: `Name <email>; time`."""
    return f"{one_line(name)} <{email}>; {when}"


def veto_dismissed_by(name: str, email: str, when: str, reason: str) -> str:
    """A `Veto-dismissed-by` value: `Name <email>; time; reason` (one per dismissed request for changes)."""
    return f"{one_line(name)} <{email}>; {when}; {one_line(reason)}"


def without_name(value: str) -> str:
    """A person trailer's value from the `<email>` on: what stays true when the person's name changes."""
    return value[value.find("<"):] if "<" in value else value
