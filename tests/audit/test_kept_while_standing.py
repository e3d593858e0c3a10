"""Answers kept under the newest standing audit event: nothing before the first one, kept until it moves."""
from __future__ import annotations

from registry.audit import events as audit
from registry.db import make_engine, session_scope
from registry.transaction.kept import KeptAnswers


def test_an_answer_is_kept_only_once_a_standing_event_exists_and_until_the_next_one(database_url):
    engine = make_engine(database_url)
    kept: KeptAnswers[list[str]] = KeptAnswers(16)
    computed: list[str] = []

    def ask() -> list[str]:
        with session_scope(engine) as s:
            return audit.kept_while_standing(kept, s, "a", lambda: computed.append("a") or ["a"])
    try:
        first, second = ask(), ask()
        assert first == second and first is not second and len(computed) == 2  # no event yet: nothing kept
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "user.create", "user:ada@example.org")
        third, fourth = ask(), ask()
        assert fourth is third and len(computed) == 3  # kept
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "proposal.create", "proposal:1")  # a proposal's own: not standing
        assert ask() is third
        with session_scope(engine, write=True) as s:
            audit.record(s, "ada@example.org", "user.disable", "user:grace@example.org")
        assert ask() is not third and len(computed) == 4
    finally:
        engine.dispose()
