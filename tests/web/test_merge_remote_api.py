"""POST /api/v1/proposals/N/merge with a remote: the commit lands on the remote; an unreachable one is 503."""
from __future__ import annotations

import subprocess

from git_remote import closed_port_url, records_remote, remote_head


def _post(gov, who, url, data=None):
    response = gov.app.test_client().post(url, json=data if data is not None else {}, headers=gov.api(who))
    return response.status_code, response.get_json()


def test_a_merge_through_the_api_pushes_to_the_remote_and_an_unreachable_remote_is_503(gov, tmp_path):
    served = tmp_path / "served.git"  # the spec moves to a git host; Specreg keeps its own clone of it
    subprocess.run(["git", "clone", "--bare", "--quiet", str(gov.repo.path), str(served)], check=True)
    first, second = gov.propose(), gov.propose("be_brief", "Shorter.")
    assert _post(gov, "grace", f"/api/v1/proposals/{first}/reviews", {"kind": "approve"})[0] == 201
    assert _post(gov, "alan", f"/api/v1/proposals/{second}/reviews", {"kind": "approve"})[0] == 201
    gov.app.config.update(SPEC_REPO=str(tmp_path / "instance" / "spec-clone"), SPEC_REMOTE=closed_port_url())

    status, error = _post(gov, "ada", f"/api/v1/proposals/{first}/merge")
    assert (status, error["error"]) == (503, "remote_unavailable")
    assert "could not clone the spec repo's remote" in error["message"]
    state = gov.app.test_client().get(f"/api/v1/proposals/{first}", headers=gov.api("ada")).get_json()["state"]
    assert state == "approved"

    gov.app.config["SPEC_REMOTE"] = served.as_uri()
    status, merged = _post(gov, "ada", f"/api/v1/proposals/{first}/merge")
    assert (status, merged["state"], merged["commit"]) == (200, "merged", remote_head(served))

    gov.app.config["SPEC_REMOTE"] = closed_port_url()  # cloned now: the fetch is what fails
    records_remote(tmp_path / "instance" / "spec-clone", gov.app.config["SPEC_REMOTE"])  # the same remote, down
    status, error = _post(gov, "ada", f"/api/v1/proposals/{second}/merge")
    assert (status, error["error"]) == (503, "remote_unavailable")
    assert "could not fetch from the spec repo's remote" in error["message"]
    assert remote_head(served) == merged["commit"]


def test_the_merge_button_with_an_unreachable_remote_shows_why_and_keeps_the_proposal_approved(gov, tmp_path):
    n = gov.propose()
    assert _post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})[0] == 201
    gov.app.config.update(SPEC_REPO=str(tmp_path / "instance" / "spec-clone"),
                          SPEC_REMOTE="https://specreg:s3cret@127.0.0.1:1/spec.git")
    response = gov.browser("ada").post(f"/proposals/{n}/merge", data={"csrf_token": "csrf-token"},
                                       headers={"Referer": f"http://localhost/proposals/{n}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "could not clone the spec repo&#39;s remote https://***@127.0.0.1:1/spec.git" in page
    assert "s3cret" not in page
    assert f'href="/proposals/{n}"' in page  # the way back to the proposal
    state = gov.app.test_client().get(f"/api/v1/proposals/{n}", headers=gov.api("ada")).get_json()["state"]
    assert state == "approved"
