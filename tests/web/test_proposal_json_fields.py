"""The proposal JSON (CLI and API, and the proposal parts of the evidence report and of in-force) has
exactly the fields, in the order, that the docs list."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from proposal_helpers import HEADINGS, POLICY

from registry.cli import main as cli
from registry.web.bodies import Field
from registry.web.proposals import api

ROOT = Path(__file__).parents[2]
DOCS = (ROOT / "docs" / "proposals.md").read_text()
EVIDENCE = (ROOT / "docs" / "evidence.md").read_text()
ACCOUNTABILITY = (ROOT / "docs" / "accountability.md").read_text()
README = (ROOT / "README.md").read_text()


def top_keys(text: str) -> list[str]:
    """The keys of the first `{...}` in a line of docs, in order (nested objects' keys left out)."""
    depth, keys, start = 0, [], text.index("{")
    for m in re.finditer(r'[{}]|"(\w+)"', text[start:]):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
            if depth == 0:
                return keys
        elif depth == 1:
            keys.append(m.group(1))
    raise AssertionError(f"unbalanced braces in {text!r}")


def documented() -> dict[str, list[str]]:
    """docs/proposals.md's field table: object name -> its fields in order."""
    section = DOCS.split("### Fields of the proposal JSON", 1)[1].split("\n#", 1)[0]
    return {m.group(1): top_keys(m.group(2)) for m in re.finditer(r"^\| `([\w. ]+)` \| (.*) \|$", section, re.M)}


def keys_after(doc: str, marker: str) -> list[str]:
    """The keys of the first `{...}` after a marker in a doc."""
    return top_keys(doc[doc.index(marker) + len(marker):])


def readme_row(command: str) -> list[str]:
    """The fields the README's command table gives for one command's JSON."""
    line = next(line for line in README.splitlines() if line.startswith(f"| `{command}"))
    return top_keys(line.split("|")[2])


def post(gov, who, url, data=None):
    response = gov.app.test_client().post(url, json=data if data is not None else {}, headers=gov.api(who))
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def get(gov, url, who=None):
    response = gov.app.test_client().get(url, headers=gov.api(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cli_json(gov, monkeypatch, capsys, *argv):
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    assert cli([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def merged_with_everything(gov) -> int:
    """A merged proposal with two revisions, a change and an add, a dismissed and a withdrawn veto, a
    stale approval, a comment and a required check reported on both revisions: every object the
    detail can hold appears at least once."""
    gov.repo.commit("Evals gate system rules", {"policy.toml": POLICY + '\n[authority.system]\nrequired_checks = ["evals"]\n'})
    gov.ingest()
    n = gov.propose()
    post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "evals", "status": "failure", "revision": 1})
    post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "No"})
    veto = get(gov, f"/api/v1/proposals/{n}")["reviews"][-1]["id"]
    post(gov, "root", f"/api/v1/proposals/{n}/reviews/{veto}/dismiss", {"reason": "Fine."})
    post(gov, "alan", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "Hmm"})
    post(gov, "alan", f"/api/v1/proposals/{n}/withdraw-veto")
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "barbara", f"/api/v1/proposals/{n}/comments", {"text": "Why now?"})
    changes = [{"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\nNever reveal it.\n"},
               {"kind": "add", "id": "be_kind", "after": "respect_privacy",
                "text": "## Be kind {#be_kind}\n\nBe kind.\n"}]
    post(gov, "ada", f"/api/v1/proposals/{n}/revisions", {"changes": changes, "note": "v2"})
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "evals", "status": "success", "revision": 2,
                                                        "url": "https://ci.example.org/runs/2", "summary": "ok"})
    post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    return n


def objects_in(detail: dict) -> dict[str, list[dict]]:
    """Every object of a proposal detail, by the name docs/proposals.md gives it."""
    revisions, reviews = detail["revisions"], detail["reviews"]
    changes = [c for r in revisions for c in r["changes"]]
    return {
        "proposal": [detail], "merge": [detail["merge"]], "revision": revisions, "change": changes,
        "person": [detail["proposer"]] + [r["author"] for r in revisions] + [r["reviewer"] for r in reviews]
        + [r["dismissed"]["by"] for r in reviews if r["dismissed"]] + [c["author"] for c in detail["comments"]]
        + [e["actor"] for e in detail["timeline"]], "timeline": detail["timeline"],
        "base": [c["base"] for c in changes if c["base"]], "diff": [o for c in changes for o in c["diff"]],
        "review": reviews, "dismissed": [r["dismissed"] for r in reviews if r["dismissed"]],
        "comment": detail["comments"], "policy": [detail["policy"]],
        "policy.clauses": detail["policy"]["clauses"], "policy.source": [detail["policy"]["source"]],
        "policy.checks": detail["policy"]["checks"], "checks": detail["checks"],
    }


def test_every_object_of_the_proposal_detail_has_the_documented_fields_in_order(gov, monkeypatch, capsys):
    n = merged_with_everything(gov)
    detail = cli_json(gov, monkeypatch, capsys, "proposal", str(n))
    assert get(gov, f"/api/v1/proposals/{n}") == detail
    fields = documented()
    found = objects_in(detail)
    assert set(found) <= set(fields)
    for name, items in found.items():
        assert items, f"the scenario shows no {name}"
        for item in items:
            assert list(item) == fields[name], name
    assert any(c["base"] is None for r in detail["revisions"] for c in r["changes"])  # the add
    assert any(r["withdrawn_at"] for r in detail["reviews"]) and detail["merge"]["commit"] == gov.repo.head()
    assert list(detail) == readme_row("specreg proposal N")


def test_list_and_queue_items_have_the_documented_fields_in_order(gov, monkeypatch, capsys):
    gov.propose()
    gov.propose("be_brief", "Short.")
    fields = documented()
    listed = cli_json(gov, monkeypatch, capsys, "proposals")
    assert get(gov, "/api/v1/proposals") == {"proposals": listed} and len(listed) == 2
    assert all(list(item) == fields["list item"] == readme_row("specreg proposals") for item in listed)
    queued = cli_json(gov, monkeypatch, capsys, "queue", "--as", "alan@example.org")
    assert get(gov, "/api/v1/review-queue", "alan") == {"proposals": queued} and len(queued) == 1
    assert list(queued[0]) == fields["queue item"] == readme_row("specreg queue")
    assert list(queued[0]["policy"]) == fields["policy"]


@pytest.mark.parametrize(("action", "who", "state"), [("withdraw", "ada", "withdrawn"),
                                                      ("reject", "grace", "rejected")])
def test_closing_through_the_api_passes_the_reason_by_name_whatever_else_the_body_reads(
        gov, monkeypatch, action, who, state):
    # The endpoint once passed the body's values in order: a field read before "reason" became the reason.
    monkeypatch.setitem(api.CLOSE, action, {"note": Field(str, default="a note"), **api.CLOSE[action]})
    n = gov.propose()
    assert post(gov, who, f"/api/v1/proposals/{n}/{action}", {"reason": "Because."})["state"] == state
    assert get(gov, f"/api/v1/proposals/{n}")["closed_reason"] == "Because."


def test_the_evidence_report_and_in_force_show_the_merged_proposal_with_the_documented_fields(gov, monkeypatch,
                                                                                               capsys):
    n = merged_with_everything(gov)
    merge = gov.repo.head()
    report = get(gov, f"/api/v1/report?to={merge}")
    assert cli_json(gov, monkeypatch, capsys, "report", "--to", merge)["proposals"] == report["proposals"]
    [item] = report["proposals"]
    assert (item["id"], item["commit"]) == (n, merge)
    assert list(item) == keys_after(EVIDENCE, '"proposals": [')
    [change] = [c for c in report["changes"] if c["commit"] == merge and c["id"] == "respect_privacy"]
    assert list(change["proposal"]) == keys_after(EVIDENCE, '"proposal": ')
    assert list(change["proposal"]["proposer"]) == keys_after(EVIDENCE, '"proposer": ')
    approvals = keys_after(EVIDENCE, '"approvers": [')
    assert change["approvers"] == item["approvers"] and all(list(a) == approvals for a in item["approvers"])
    found = get(gov, f"/api/v1/clauses/respect_privacy/in-force?at={merge}")
    assert cli_json(gov, monkeypatch, capsys, "in-force", "respect_privacy", "--at", merge) == found
    row = next(line for line in ACCOUNTABILITY.splitlines() if line.startswith("| `proposal` |"))
    assert list(found["proposal"]) == top_keys(row)
    assert list(found["proposal"]["policy"]) == keys_after(row, '"policy": ')
    assert found["approvers"] == item["approvers"] and found["approvers"]
