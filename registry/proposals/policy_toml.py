"""policy.toml: the `Policy` it describes (how many approvals, and which checks, each rule asks) and its parser.

`policy.toml` sets how many approvals: `[defaults]`, per authority level (`[authority.root]`) and
per clause (`[clause."respect_privacy"]`); a clause must satisfy the strictest level that applies
to it, before and after the change. `[governance]` says where governance began (`start`: a ref;
earlier commits are pre-governance, not unapproved changes) and how many admins approve a proposal
that replaces a governance file (OWNERS.toml, policy.toml, specreg.toml, frameworks.toml): `min_approvals`, at least
one, and optionally `root_owners`, approvals also needed from owners of root clauses; the proposer
and revision authors never count there either. `[fallback]` opts into
`admins_approve_when_short`: when fewer people are eligible to approve a touched clause than its
rule needs, the enabled admins may approve it too (every such approval is marked and audited).
Any rule's table may also name `required_checks` (registry.proposals.check_rules: every one must
have passed on the current revision) and `editorial_min_approvals`, the fewer approvals the rule
asks of a touched clause whose change is editorial (registry.spec.change_class); never more than
its `min_approvals`.

Only the numbers are configurable: who counts is registry.proposals.approval_rules, and applying
the policy to a proposal registry.proposals.policy.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from registry.proposals.check_rules import CHECKS_KEY, parse_required
from registry.proposals.policy_facts import ClauseFacts

POLICY_PATH = "policy.toml"
EDITORIAL_KEY = "editorial_min_approvals"
_LEVEL_KEYS = {"min_approvals", EDITORIAL_KEY, CHECKS_KEY}
_TABLES = {"defaults", "authority", "clause", "governance", "fallback"}
GOVERNANCE_KEYS = ("min_approvals", "root_owners", "start")  # the keys [governance] knows; anything else is a warning
GOVERNANCE_RULE = "governance"
FALLBACK_KEYS = ("admins_approve_when_short",)  # the keys [fallback] knows


@dataclass(frozen=True)
class Governance:
    """The `[governance]` table: `start` is the ref (sha or tag) where governance began, or None;
    `min_approvals` how many admins approve a proposal that replaces a governance file, and
    `root_owners` how many owners of root clauses must approve it too (0: none).

    Only stricter than the default: at least one admin, never the proposer or a revision author (the
    built-in rules), and only admins (and, when asked for, owners of root clauses) count.
    """

    start: str | None = None
    min_approvals: int = 1
    root_owners: int = 0


@dataclass(frozen=True)
class Fallback:
    """The `[fallback]` table: admins_approve_when_short lets the admins approve a clause too few can approve."""

    admins_approve_when_short: bool = False


@dataclass(frozen=True)
class Policy:
    """How many approvals a clause needs: a default, per authority level and per clause id."""

    default: int = 1
    authority: Mapping[str, int] = field(default_factory=lambda: {"root": 2})
    clause: Mapping[str, int] = field(default_factory=dict)
    governance: Governance = field(default_factory=Governance)
    fallback: Fallback = field(default_factory=Fallback)
    editorial: Mapping[str, int] = field(default_factory=dict)  # rule name -> editorial_min_approvals
    checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # rule name -> required_checks

    def _applicable(self, key: str, authorities: Iterable[str]) -> list[str]:
        """The names of the rules that apply to a clause, whether or not their tables exist."""
        return ["defaults", *(f"authority.{a}" for a in sorted(set(authorities))), f"clause.{key}"]

    def _count(self, rule: str) -> int | None:
        """The rule's min_approvals (None: the policy gives that rule no number)."""
        table, _, name = rule.partition(".")
        return self.default if table == "defaults" else (self.authority if table == "authority" else self.clause).get(name)

    def required(self, key: str, authorities: Iterable[str], editorial: bool = False) -> tuple[int, str]:
        """(approvals needed, the rule that asks for them): the strictest rule that applies; for an
        editorial change each rule asks its editorial_min_approvals when it sets one."""
        levels = frozenset(authorities)
        if key in self.clause:
            return self._strictest(key, levels, editorial)
        # No rule names the clause, so the answer is its authorities' alone: judged once per set of
        # them, not once per clause (the owners page asks for all 3,000).
        memo = self._required_memo
        if (levels, editorial) not in memo:
            memo[levels, editorial] = self._strictest(key, levels, editorial)
        return memo[levels, editorial]

    def _strictest(self, key: str, authorities: Iterable[str], editorial: bool) -> tuple[int, str]:
        rules = [(min(n, self.editorial.get(rule, n)) if editorial else n, rule)
                 for rule in self._applicable(key, authorities) if (n := self._count(rule)) is not None]
        return max(rules, key=lambda r: r[0])

    @cached_property
    def _required_memo(self) -> dict[tuple[frozenset[str], bool], tuple[int, str]]:
        return {}

    def rule_for(self, c: ClauseFacts) -> tuple[int, str]:
        """(approvals needed, the rule) for a touched clause, or for a governance file under `[governance]`."""
        if c.governance and c.root_owners:
            return self.governance.root_owners, f"{GOVERNANCE_RULE}.root_owners"
        if c.governance:
            return self.governance.min_approvals, GOVERNANCE_RULE
        return self.required(c.key, c.authorities, c.editorial)

    def checks_for(self, clauses: Iterable[ClauseFacts]) -> dict[str, tuple[str, ...]]:
        """The checks the touched clauses require: check name -> the rules that ask for it (governance
        files ask for none)."""
        out: dict[str, tuple[str, ...]] = {}
        for c in clauses:
            for rule in [] if c.governance else self._applicable(c.key, c.authorities):
                for name in self.checks.get(rule, ()):
                    out[name] = tuple(dict.fromkeys((*out.get(name, ()), rule)))
        return out


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class ParsedPolicy:
    """A policy.toml version: the policy (None when it is unusable) and what was wrong with it."""

    policy: Policy | None
    warnings: tuple[str, ...] = ()


@dataclass
class _Extras:
    """What rule tables say besides min_approvals, by rule name, as parse_policy collects it."""

    editorial: dict[str, int] = field(default_factory=dict)
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _count(where: str, table: object, problems: list[str], extras: _Extras) -> int | None:
    if not isinstance(table, dict):
        raise ValueError(f"[{where}] must be a table with min_approvals = N")
    for k in sorted(set(table) - _LEVEL_KEYS):
        problems.append(f"[{where}] has an unknown key {k!r} (ignored); known: {', '.join(sorted(_LEVEL_KEYS))}")
    n = _min_approvals(where, table.get("min_approvals"))
    if (editorial := _min_approvals(where, table.get(EDITORIAL_KEY), EDITORIAL_KEY)) is not None:
        if n is not None and editorial > n:
            raise ValueError(f"[{where}] {EDITORIAL_KEY} ({editorial}) must not be more than min_approvals ({n})")
        extras.editorial[where] = editorial
    if CHECKS_KEY in table:
        extras.checks[where] = parse_required(where, table[CHECKS_KEY])
    return n


def _min_approvals(where: str, n: object, key: str = "min_approvals") -> int | None:
    if n is None:
        return None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"[{where}] {key} must be a whole number of at least 1, not {n!r}")
    return n


def _governance(table: object, problems: list[str]) -> Governance:
    """The `[governance]` table; a start that is not a ref-like string is an impossible value."""
    if not isinstance(table, dict):
        raise ValueError('[governance] must be a table like start = "REF"')
    for k in sorted(set(table) - set(GOVERNANCE_KEYS)):
        problems.append(f"[governance] has an unknown key {k!r} (ignored); known: {', '.join(GOVERNANCE_KEYS)}")
    approvals = _min_approvals("governance", table.get("min_approvals")) or Governance.min_approvals
    root_owners = _min_approvals("governance", table.get("root_owners"), "root_owners") or Governance.root_owners
    start = table.get("start")
    if start is None:
        return Governance(None, approvals, root_owners)
    if (not isinstance(start, str) or not start.strip() or len(start) > 255
            or any(c.isspace() or ord(c) < 32 for c in start)):
        raise ValueError(f"[governance] start must be a commit sha or a tag, not {start!r}")
    return Governance(start, approvals, root_owners)


def _fallback(table: object, problems: list[str]) -> Fallback:
    """The `[fallback]` table; a value that is not true or false is an impossible value."""
    if not isinstance(table, dict):
        raise ValueError("[fallback] must be a table like admins_approve_when_short = true")
    for k in sorted(set(table) - set(FALLBACK_KEYS)):
        problems.append(f"[fallback] has an unknown key {k!r} (ignored); known: {', '.join(FALLBACK_KEYS)}")
    value = table.get("admins_approve_when_short", False)
    if not isinstance(value, bool):
        raise ValueError(f"[fallback] admins_approve_when_short must be true or false, not {value!r}")
    return Fallback(value)


def parse_policy(text: str) -> ParsedPolicy:
    """Parse policy.toml; a file that is not TOML or has an impossible value is unusable (None)."""
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        return ParsedPolicy(None, (f"policy.toml is not valid TOML ({exc}); the previous policy stays in force",))
    notes: list[str] = [f"unknown table [{k}] (ignored); known: defaults, authority, clause, governance, fallback"
                        for k in sorted(set(data) - _TABLES)]
    extras = _Extras()
    try:
        default = _count("defaults", data.get("defaults", {}), notes, extras)
        levels = {}
        for table in ("authority", "clause"):
            section = data.get(table, {})
            if not isinstance(section, dict):
                raise ValueError(f"[{table}] must hold tables like [{table}.NAME]")
            levels[table] = {name: n for name, sub in section.items()
                             if (n := _count(f"{table}.{name}", sub, notes, extras)) is not None}
        governance = _governance(data.get("governance", {}), notes)
        fallback = _fallback(data.get("fallback", {}), notes)
    except ValueError as exc:
        return ParsedPolicy(None, (f"{exc}; the previous policy stays in force",))
    policy = Policy(default or DEFAULT_POLICY.default,
                    {**DEFAULT_POLICY.authority, **levels["authority"]}, levels["clause"], governance, fallback,
                    extras.editorial, extras.checks)
    return ParsedPolicy(policy, tuple(notes))
