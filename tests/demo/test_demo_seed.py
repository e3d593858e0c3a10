"""`specreg demo` gives the demo accounts and a proposal in every state, and keeps them on a re-run."""
from __future__ import annotations

import json

import pytest

from registry.cli import main
from registry.demo.seed import DEMO_PASSWORD, DEMO_USERS


@pytest.fixture
def demo_env(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "spec-demo"))
    monkeypatch.delenv("SPECREG_TOKEN", raising=False)
    return tmp_path / "spec-demo"


def run(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_demo_has_accounts_and_proposals_in_every_state_and_a_rerun_keeps_them(demo_env, capsys):
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    states = {p["state"] for p in run(capsys, "proposals")}
    assert states == {"draft", "open", "approved", "merged", "rejected", "withdrawn", "conflicted"}
    users = {u["email"]: u["role"] for u in run(capsys, "user", "list")}
    assert users == {email: role for email, (_name, role) in DEMO_USERS.items()}
    # Every clause can be approved under the demo's policy, so the proposal waiting for a second
    # owner of a root clause waits on someone who exists and may approve it.
    assert run(capsys, "policy", "check") == {"ok": True, "infeasible": []}
    waiting = next(p for p in run(capsys, "proposals", "--state", "open") if p["clauses"] == ["comply_with_laws"])
    assert waiting["approvals"] == {"have": 1, "need": 2} and waiting["waiting_on"] == ["margaret@example.org"]
    merged = run(capsys, "proposals", "--state", "merged")[0]
    history = run(capsys, "history", "be_concise")
    assert history[-1]["proposal"] == merged["id"] and history[-1]["commit"] == merged["commit"]
    assert main(["demo", "--no-serve"]) == 0  # the repo keeps its merge commit, nothing is seeded twice
    capsys.readouterr()
    assert run(capsys, "proposals", "--state", "merged")[0]["commit"] == merged["commit"]
    assert len(run(capsys, "proposals")) == 9
    held = next(p for p in run(capsys, "proposals", "--state", "open") if p["clauses"] == ["self_harm"])
    assert held["approvals"] == {"have": 2, "need": 2}  # approved by both owners, held by the required check
    detail = run(capsys, "proposal", str(held["id"]))
    assert [(c["name"], c["status"], c["rules"]) for c in detail["policy"]["checks"]] == [
        ("evals", "pending", ["authority.root"])]
    assert run(capsys, "verify")["ok"] is True


def test_the_readme_shows_the_demo_logins():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert DEMO_PASSWORD in readme
    for email, (_name, role) in DEMO_USERS.items():
        assert f"`{email}` | {role}" in readme
