"""Which files of the spec repo are spec documents: include/exclude globs, `specreg.toml`, defaults."""
from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from registry.errors import ConfigError

SPECREG_TOML = "specreg.toml"  # the include/exclude rules, at the spec repo's root
DEFAULT_INCLUDE = ("**/*.md",)
DEFAULT_EXCLUDE = ("examples/**",)
NOT_SPEC_NAMES = frozenset({"readme.md", "changelog.md", "contributing.md", "license.md"})


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob (`**` crosses directories, `*` and `?` do not) to a regex."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class SpecFiles:
    """A rule for picking spec documents out of a tree."""

    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    skip_names: frozenset[str] = field(default=NOT_SPEC_NAMES)

    def matches(self, path: str) -> bool:
        """True when path is a spec document."""
        if path.rsplit("/", 1)[-1].lower() in self.skip_names:
            return False
        if not any(glob_regex(p).match(path) for p in self.include):
            return False
        return not any(glob_regex(p).match(path) for p in self.exclude)

    def describe(self) -> list[str]:
        """The rule as a list of strings, for the ledger and messages."""
        return list(self.include) + [f"!{p}" for p in self.exclude]


def from_options(includes: Sequence[str], toml_text: str | None) -> SpecFiles:
    """--include globs win; else `specreg.toml` at the repo root; else the defaults."""
    if includes:
        return SpecFiles(include=tuple(includes), exclude=(), skip_names=frozenset())
    if toml_text is None:
        return SpecFiles()
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"specreg.toml does not parse: {exc}") from exc
    include = data.get("include", list(DEFAULT_INCLUDE))
    exclude = data.get("exclude", list(DEFAULT_EXCLUDE))
    if not all(isinstance(x, str) for x in [*include, *exclude]):
        raise ConfigError("specreg.toml: include and exclude must be lists of glob strings")
    return SpecFiles(include=tuple(include), exclude=tuple(exclude))
