"""Pure: required checks. What a check report may say, and whether the checks a policy requires passed.

An external system (an evaluation harness, a CI job) reports a named check on one revision of a
proposal: `pending`, `success` or `failure`, with a link to its run and a one-line summary.
policy.toml asks for checks per rule (`required_checks = ["evals"]` in `[defaults]`,
`[authority.LEVEL]` or `[clause."ID"]`); a touched clause needs every check its rules name. Like an
approval, a report counts only for the revision it names: a new revision needs its own reports. Of
the reports of one name on one revision the latest wins.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from registry.models.proposals import CHECK_STATUSES

CHECKS_KEY = "required_checks"  # the policy.toml key, in any rule's table
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
URL_LENGTH = 2_000
SUMMARY_LENGTH = 1_000
SUCCESS = "success"
MISSING = "missing"  # a required check nobody reported on the current revision


class CheckInputError(ValueError):
    """A check report that cannot be taken: a bad name, status, url or summary (the message says which)."""


def check_name(name: object, where: str = "a check's name") -> str:
    """The name when it is valid (NAME_RULE), else CheckInputError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise CheckInputError(f"{where} must be {NAME_RULE}, not {name!r}")
    return name


def check_status(status: object) -> str:
    """The status when it is one of pending, success, failure."""
    if status not in CHECK_STATUSES:
        raise CheckInputError(f"a check's status is one of {', '.join(CHECK_STATUSES)}, not {status!r}")
    return str(status)


def check_url(url: str | None) -> str | None:
    """A link to the check's run: an absolute http(s) URL of printable characters, or None."""
    if url is None or url == "":
        return None
    if len(url) > URL_LENGTH or not url.isprintable() or any(c.isspace() for c in url):
        raise CheckInputError(f"a check's url must be one http(s) URL of at most {URL_LENGTH} characters "
                              "without spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise CheckInputError(f"a check's url must be an absolute http:// or https:// URL, not {url[:80]!r}")
    return url


def check_summary(summary: str) -> str:
    """One line of at most SUMMARY_LENGTH characters (line breaks become spaces)."""
    line = " ".join(summary.split())
    if len(line) > SUMMARY_LENGTH:
        raise CheckInputError(f"a check's summary is at most {SUMMARY_LENGTH} characters, not {len(line)}")
    return line


def parse_required(where: str, value: object) -> tuple[str, ...]:
    """A rule's `required_checks`: a list of distinct check names; ValueError for anything else."""
    if not isinstance(value, list):
        raise ValueError(f'[{where}] {CHECKS_KEY} must be a list of check names like ["evals"], not {value!r}')
    try:
        names = [check_name(v, f"[{where}] {CHECKS_KEY}: a check name") for v in value]
    except CheckInputError as exc:
        raise ValueError(str(exc)) from None
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class CheckFacts:
    """One check report as the policy sees it."""

    id: int
    name: str
    status: str
    revision: int
    url: str | None
    at: datetime


@dataclass(frozen=True)
class CheckStatus:
    """A required check on the current revision: the rules that ask for it and its latest report there."""

    name: str
    rules: tuple[str, ...]
    status: str  # pending, success, failure, or missing (no report on this revision)
    revision: int
    url: str | None = None
    report: int | None = None  # the report's row

    @property
    def passed(self) -> bool:
        """True when its latest report on the current revision is a success."""
        return self.status == SUCCESS

    def message(self) -> str:
        """What is missing, for people: "check evals: failure on revision 2 [rule authority.root]"."""
        state = "not reported" if self.status == MISSING else self.status
        return f"check {self.name}: {state} on revision {self.revision} [rule {', '.join(self.rules)}]"

    @property
    def trailer(self) -> str:
        """The merge commit's `Check:` value: `name=status; url` (`name=status` without a url)."""
        return f"{self.name}={self.status}" + (f"; {self.url}" if self.url else "")

    def as_dict(self) -> dict[str, object]:
        """{"name", "rules", "status", "revision", "url", "passed"}."""
        return {"name": self.name, "rules": list(self.rules), "status": self.status, "revision": self.revision,
                "url": self.url, "passed": self.passed}


def latest(reports: Iterable[CheckFacts]) -> dict[tuple[str, int], CheckFacts]:
    """The report that wins for each (name, revision): the latest (by time, then by row)."""
    out: dict[tuple[str, int], CheckFacts] = {}
    for r in sorted(reports, key=lambda r: (r.at, r.id)):
        out[(r.name, r.revision)] = r
    return out


def judge(required: Mapping[str, tuple[str, ...]], reports: Iterable[CheckFacts], revision: int) -> tuple[CheckStatus, ...]:
    """Each required check (name -> the rules asking for it) with its latest report on `revision`, by name."""
    won = latest(reports)
    out = []
    for name in sorted(required):
        r = won.get((name, revision))
        out.append(CheckStatus(name, required[name], r.status if r else MISSING, revision,
                               r.url if r else None, r.id if r else None))
    return tuple(out)
