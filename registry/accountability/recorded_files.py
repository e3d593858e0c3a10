"""The policy.toml and frameworks.toml versions the database recorded are the files git holds at their commits.

Both are read from the database wherever they apply (how many approvals a clause needs and where
governance began; which framework items a clause answers in coverage and the evidence report),
never from git again, and no audit event covers them: a version edited with SQL would change a
verdict or a coverage report with no commit and no event. So verify reads each recorded version's
file at its commit again and names any that differs (check `recorded`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding
from registry.frameworks.frameworks_toml import FRAMEWORKS_PATH, parse_frameworks
from registry.gitsource import SpecSource
from registry.models import Commit, FrameworksVersion, PolicyVersion
from registry.proposals.policy import POLICY_PATH, parse_policy


def _policy(text: str) -> tuple[str, str | None]:
    parsed = parse_policy(text)
    return ("valid", parsed.policy.governance.start) if parsed.policy else ("invalid", None)


def _frameworks(text: str) -> tuple[str, str | None]:
    return ("valid" if parse_frameworks(text).valid else "invalid"), None


def expected(content: bytes | None, judge: Callable[[str], tuple[str, str | None]]) -> tuple[str, str, str | None]:
    """(status, text, governance start) an ingest records for a file's content at a commit (None: no file)."""
    if content is None:
        return "deleted", "", None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid", "", None
    status, start = judge(text)
    return status, text, start


def _recorded(session: Session, model: type[PolicyVersion] | type[FrameworksVersion]) -> list[tuple[Any, str]]:
    """The live versions of `model` with their commits' shas, oldest first."""
    return [(v, sha) for v, sha in session.execute(select(model, Commit.sha).join(Commit, Commit.seq == model.seq)
                                                   .where(model.live, Commit.live).order_by(model.seq, model.id))]


def check_recorded_files(session: Session, source: SpecSource) -> list[Finding]:
    """Each live policy.toml and frameworks.toml version against the file at its commit (check `recorded`)."""
    findings = []
    recorded = [(POLICY_PATH, _policy, [(v.status, v.text, v.governance_start, sha)
                                        for v, sha in _recorded(session, PolicyVersion)]),
                (FRAMEWORKS_PATH, _frameworks, [(v.status, v.text, None, sha)
                                                for v, sha in _recorded(session, FrameworksVersion)])]
    for path, judge, versions in recorded:
        for status, text, start, sha in versions:
            want = expected(source.read_file(sha, path), judge)
            if (status, text, start) != want:
                findings.append(Finding("recorded", f"{path} at commit {sha[:12]}",
                                        f"the database records a {status} version that is not the file git "
                                        f"holds at this commit ({want[0]}): edited behind the registry's back"))
    return findings
