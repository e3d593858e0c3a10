"""A proposal's timeline (CLI, API and page) and the policy box of a closed or conflicted proposal."""
from __future__ import annotations

import json

from proposal_helpers import HEADINGS
from test_review_queue import html, post

from registry.cli import main as cli


def detail(gov, n, monkeypatch, capsys):
    """Proposal n as `specreg proposal N --json` prints it, checked equal to the API's."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    assert cli(["proposal", str(n), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json() == found
    return found


def test_the_timeline_names_each_action_its_actor_and_the_reasons_in_order(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "Too vague"})
    veto = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()["reviews"][-1]["id"]
    post(gov, "root", f"/api/v1/proposals/{n}/reviews/{veto}/dismiss", {"reason": "Vague is fine here."})
    post(gov, "alan", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "Hmm"})
    post(gov, "alan", f"/api/v1/proposals/{n}/withdraw-veto")
    post(gov, "ada", f"/api/v1/proposals/{n}/revisions", {"note": "sharper", "changes": [
        {"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\nNever reveal it.\n"}]})
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    timeline = detail(gov, n, monkeypatch, capsys)["timeline"]
    steps = [(e["action"], e["actor"]["email"]) for e in timeline]
    assert steps == [("created", "ada@example.org"), ("changes requested", "barbara@example.org"),
                     ("veto dismissed", "root@example.org"), ("changes requested", "alan@example.org"),
                     ("veto withdrawn", "alan@example.org"), ("revised", "ada@example.org"),
                     ("approved", "grace@example.org"), ("merged", "ada@example.org")]
    assert timeline[0]["actor"] == {"name": "Ada Byron", "email": "ada@example.org"}
    assert timeline[1]["detail"] == "Too vague"
    assert timeline[2]["detail"] == "the request for changes by Barbara Liskov; reason: Vague is fine here."
    assert timeline[4]["detail"] == "the request for changes by Alan Turing"
    assert timeline[5]["detail"] == "revision 2: sharper"
    assert timeline[6]["detail"] == "revision 2, approved as owner of respect_privacy"
    assert timeline[7]["detail"] == f"commit {gov.repo.head()}"
    assert [e["time"] for e in timeline] == sorted(e["time"] for e in timeline)
    page = html(gov, None, f"/proposals/{n}")
    assert '<strong class="action">veto dismissed</strong> by Root Admin' in page
    assert "reason: Vague is fine here." in page


def test_a_proposal_conflicted_by_another_merge_names_that_merge_and_shows_no_satisfied_box(gov, monkeypatch,
                                                                                             capsys):
    first, second = gov.propose(), gov.propose(body="Keep personal data to yourself.")
    for n in (first, second):
        post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "ada", f"/api/v1/proposals/{first}/merge")
    merge = gov.repo.head()
    refused = gov.app.test_client().post(f"/api/v1/proposals/{second}/merge", json={}, headers=gov.api("ada"))
    assert refused.status_code == 409 and refused.get_json()["error"] == "merge_conflict"
    last = detail(gov, second, monkeypatch, capsys)["timeline"][-1]
    assert last["action"] == "conflicted"
    assert last["detail"].endswith(f"caused by commit {merge}, the merge of proposal #{first}")
    page = html(gov, None, f"/proposals/{second}")
    assert 'class="policy conflicted"' in page and "<strong>Satisfied.</strong>" not in page
    assert f'href="/?at={merge}"' in page.split('id="policy-h"')[1].split("</section>")[0]
    assert f"the merge of proposal #{first}" in page


def test_a_withdrawn_or_rejected_proposal_shows_where_it_ended_not_what_it_needs(gov):
    withdrawn, rejected = gov.propose(), gov.propose("be_brief", "Short.")
    post(gov, "ada", f"/api/v1/proposals/{withdrawn}/withdraw", {"reason": "Not now."})
    post(gov, "alan", f"/api/v1/proposals/{rejected}/reject", {"reason": "No."})
    for n, state, who in ((withdrawn, "Withdrawn", "Ada Byron &lt;ada@example.org&gt;"),
                          (rejected, "Rejected", "Alan Turing &lt;alan@example.org&gt;")):
        page = html(gov, None, f"/proposals/{n}")
        box = page.split('id="policy-h"')[1].split("</section>")[0]
        assert f'<strong class="final">{state}</strong> by {who} on <time' in box
        assert "more approval" not in box and "Not satisfied yet" not in box
        assert f"policy {state.lower()}" in page


def test_a_merged_proposal_box_names_its_merge_commit(gov):
    n = gov.propose()
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    box = html(gov, None, f"/proposals/{n}").split('id="policy-h"')[1].split("</section>")[0]
    assert '<strong class="final">Merged</strong> by Ada Byron &lt;ada@example.org&gt; as' in box
    assert f'href="/?at={gov.repo.head()}"' in box


def test_each_check_report_is_a_timeline_entry_naming_its_status_revision_and_run(gov, monkeypatch, capsys):
    n = gov.propose()
    run = "https://ci.example.org/runs/9"
    post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "evals", "status": "failure", "revision": 1, "url": run})
    post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "lint", "status": "success", "revision": 1})
    timeline = detail(gov, n, monkeypatch, capsys)["timeline"]
    assert [(e["action"], e["actor"]["email"], e["detail"]) for e in timeline[1:]] == [
        ("check reported", "vic@example.org", f"evals=failure on revision 1; {run}"),
        ("check reported", "vic@example.org", "lint=success on revision 1")]
    page = html(gov, None, f"/proposals/{n}")
    assert '<strong class="action">check reported</strong> by Vic Viewer' in page
    assert f"evals=failure on revision 1; {run}" in page
