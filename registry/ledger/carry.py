"""What every answer carried from an earlier point over the commits ingested since checks of that point.

Kept answers (the clause summary rows, the verdicts, the commits that changed the spec, a changelog's
ids) are carried from the point they were read at to a later head by reading only what the commits
between wrote. That holds while the earlier point is still on the branch (a rewrite sets aside only
the commits after its fork, so a live commit keeps every earlier one, and their versions, live), and
pays while few commits lie between (`CARRY_LIMIT`).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from registry.models import Commit

CARRY_LIMIT = 200  # commits: past this, one read of every lineage costs less than the versions between


def may_carry(then: int, now: int) -> bool:
    """Whether an answer read at seq `then` may be carried to seq `now`: at or after it, within CARRY_LIMIT."""
    return 0 <= now - then <= CARRY_LIMIT


def still_live(seq: int, sha: str) -> ColumnElement[bool]:
    """Whether the commit (seq, sha) is still on the branch: an EXISTS, to ask with other checks in one
    statement (after what was read since, so a rewrite committed in between shows)."""
    return exists().where(Commit.seq == seq, Commit.sha == sha, Commit.live)
