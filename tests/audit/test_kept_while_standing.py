"""Answers kept under the newest standing audit event: nothing before the first one, kept until it moves;
one rule for a single answer and for a list's many (kept verdicts)."""
from __future__ import annotations

from registry.audit import events as audit
from registry.db import KeptAnswers, make_engine, session_scope


def test_many_answers_are_kept_only_once_a_standing_event_exists_and_until_the_next_one(database_url):
    engine = make_engine(database_url)
    kept: KeptAnswers[list[str]] = KeptAnswers(16)
    told: list[list[str]] = []

    def ask() -> dict[str, list[str]]:
        with session_scope(engine) as s:
            return audit.kept_many_while_standing(kept, s, {k: lambda k=k: [k] for k in ("a", "b")}, told.append)
    try:
        first, second = ask(), ask()
        assert first == second and first["a"] is not second["a"]  # no event yet: nothing kept
        assert told == [["a", "b"], ["a", "b"]]
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "user.create", "user:ada@example.org")
        third, fourth = ask(), ask()
        assert fourth["a"] is third["a"] and told[2:] == [["a", "b"], []]  # kept, and nothing missed
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "proposal.create", "proposal:1")  # a proposal's own: not standing
        assert ask()["b"] is third["b"]
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "user.disable", "user:grace@example.org")
        latest = ask()
        assert latest["b"] is not third["b"] and told[-1] == ["a", "b"]
        with session_scope(engine) as s:  # one answer is kept under the key a list keeps it under
            assert audit.kept_while_standing(kept, s, "a", lambda: ["other"]) is latest["a"]
    finally:
        engine.dispose()
