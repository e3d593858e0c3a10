"""The governance-file editor: propose a new OWNERS.toml, policy.toml, specreg.toml or frameworks.toml from the web.

The same use case as `specreg propose --path FILE` and a `file` change in the API; the form starts
from the file at the ledger's head, and a refused save shows it again with the user's text and why.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from registry.db import get_session
from registry.errors import SpecregError
from registry.proposals import authoring as proposals
from registry.proposals.authoring import ChangeInput, check_input
from registry.proposals.governance import FILE, current_file
from registry.proposals.permissions import require_proposer
from registry.web.auth import current_actor
from registry.web.bodies import checked_first, refused
from registry.web.proposals.pages import done, kept
from registry.web.spec_repo import spec_source

bp = Blueprint("governance", __name__)
TEMPLATE = "proposals/governance.html"


@bp.get("/governance/<path>/propose")
def propose_form(path: str) -> str:
    """The file's current content in an editor, with a title and a rationale (editors and admins)."""
    require_proposer(current_actor())
    with spec_source() as source:
        current = current_file(get_session(), source, path)
    return render_template(TEMPLATE, file=current, text=current.text or "", form={}, error=None)


def _file_check() -> None:
    """The form before the write lock: the limits, and the file parsed by its parser."""
    form = request.form
    check_input([ChangeInput(FILE, (request.view_args or {}).get("path", ""), form.get("text", ""))],
                form.get("title"), form.get("rationale"))


@bp.post("/governance/<path>/propose")
@checked_first(_file_check)
def propose(path: str) -> Response | tuple[str, int]:
    """Open (or draft) the proposal; a refusal shows the form again with everything the user wrote."""
    require_proposer(current_actor())
    form, text = request.form, request.form.get("text", "")
    with spec_source() as source:
        current = current_file(get_session(), source, path)
        try:
            refused()
            p = proposals.propose(get_session(), source, current_actor(), form.get("title", ""),
                                  form.get("rationale", ""), [ChangeInput(FILE, path, text)], form.get("draft") == "1")
        except SpecregError as exc:
            return kept(TEMPLATE, exc, file=current, text=text, form=form)
    return done(p.id, f"Proposal #{p.id} is {p.state}.")
