"""The ledger stands alone: ingest runs and is tested with no feature riding along."""
from __future__ import annotations

from ledger_helpers import changes, run_ingest
from sqlalchemy import func, select

from registry.ledger import hooks
from registry.models import OwnersVersion, PolicyVersion

DOC = "# Rules {#rules}\n\n## Be honest {#be_honest}\n\nSay what is true.\n"


def test_ingest_with_no_watchers_writes_clause_versions_and_nothing_else(session, repo, monkeypatch):
    monkeypatch.setattr(hooks, "_installed", None)
    hooks.install(())
    repo.commit("one", {"spec/rules.md": DOC, "OWNERS.toml": '["*"]\nowners = ["ada@example.org"]\n',
                        "policy.toml": "[defaults]\nmin_approvals = 1\n"})
    repo.commit("two", {"spec/rules.md": DOC.replace("true", "true and kind")})
    assert run_ingest(session, repo).commits == 2
    assert changes(session, "be_honest") == [["added"], ["body"]]
    # The OWNERS.toml and policy.toml recorders are features; without them the ledger records neither.
    assert session.scalar(select(func.count()).select_from(OwnersVersion)) == 0
    assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 0
