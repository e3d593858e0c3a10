"""Owner pages and API endpoints: content, `?at=REF`, escaping and errors."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from owners_helpers import OWNERS_V2, build
from sqlalchemy.pool import NullPool
from statements import captured, reads_text

from registry.accounts.users import add_user
from registry.app import create_app
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.owners.assignments import assign
from registry.owners.store import OwnersStore


@pytest.fixture
def client(database_url, repo, tmp_path):
    build(repo)
    # `<` and `>` are refused in names (they could forge trailers); `&` and quotes must still be escaped.
    repo.commit("A name with markup", {"OWNERS.toml": OWNERS_V2.replace("Grace Hopper", '\\"Grace\\" & Hopper')})
    engine = make_engine(database_url, poolclass=NullPool)
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        ingest(session, source)
        admin = add_user(session, None, "ada@example.org", "Ada Byron", "admin", bootstrap=True)
        assign(session, admin, "lexicon", "grace@example.org", "<script>x</script> cover")
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SPEC_REPO": str(repo.path)})
    with app.test_client() as c:
        yield c


def test_the_clause_owners_page_says_where_owners_came_from(client):
    page = client.get("/clauses/say_unsure/owners").get_data(as_text=True)
    assert "inherited from document spec/rules.md" in page and "via team" in page
    assert "Ownership history" in page and "Add OWNERS.toml" in page


def test_the_clause_owners_page_honours_at(client):
    then = client.get("/clauses/respect_privacy/owners?at=v1").get_data(as_text=True)
    now = client.get("/clauses/respect_privacy/owners").get_data(as_text=True)
    assert "grace@example.org" in then and "explicit entry" not in then
    assert "explicit entry" in now


def test_user_text_is_escaped(client):
    page = client.get("/clauses/lexicon/owners").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    person = client.get("/owners/grace@example.org").get_data(as_text=True)
    assert '"Grace" & Hopper' not in person and "&#34;Grace&#34; &amp; Hopper" in person


def test_a_person_page_lists_their_clauses(client):
    page = client.get("/owners/alan@example.org").get_data(as_text=True)
    assert "lex.truth" in page and "via team safety" in page
    assert "lex.truth" in client.get("/owners/alan@example.org?at=v1").get_data(as_text=True)
    assert "say_unsure" not in client.get("/owners/alan@example.org?at=v1").get_data(as_text=True)


def test_a_team_page_shows_its_membership_history(client):
    page = client.get("/owners/team:safety").get_data(as_text=True)
    assert "Membership history" in page and "+alan@example.org" in page


def test_the_owners_index_and_the_unowned_report(client):
    assert "team:safety" in client.get("/owners").get_data(as_text=True)
    page = client.get("/unowned?at=2024-01-02").get_data(as_text=True)
    assert re.search(r"<strong>7</strong> of 7 clauses", page)


def test_api_clause_owners_matches_the_cli_contract(client):
    data = client.get("/api/v1/clauses/say_unsure/owners?at=v1").get_json()
    assert list(data) == ["id", "at", "owners"] and data["at"]["ref"] == "v1"
    assert [o["email"] for o in data["owners"]] == ["grace@example.org"]
    assert list(data["owners"][0]) == ["name", "email", "team", "source", "since"]


def test_api_history_owners_and_unowned(client):
    history = client.get("/api/v1/clauses/lexicon/owners/history").get_json()["history"]
    assert history[-1]["kind"] == "assignment" and history[-1]["added"] == ["grace@example.org"]
    team = client.get("/api/v1/owners/team:safety").get_json()
    assert team["kind"] == "team" and team["members"][-1]["members"] == ["grace@example.org", "alan@example.org"]
    assert {o["owner"] for o in client.get("/api/v1/owners").get_json()["owners"]} >= {"team:safety", "ada@example.org"}
    assert client.get("/api/v1/unowned").get_json()["unowned"] == 0


@pytest.mark.parametrize("url, status, code", [
    ("/api/v1/clauses/nope/owners", 404, "unknown_clause"),
    ("/api/v1/clauses/rules/owners?at=v9", 404, "unknown_ref"),
    ("/api/v1/owners/nobody@example.org", 404, "unknown_owner"),
    ("/api/v1/clauses/nope/owners/history", 404, "unknown_clause"),
])
def test_api_errors_are_json(client, url, status, code):
    response = client.get(url)
    assert response.status_code == status and response.get_json()["error"] == code


def test_a_page_error_is_an_html_page(client):
    response = client.get("/owners/nobody@example.org")
    assert response.status_code == 404 and "text/html" in response.content_type


def test_every_owner_command_and_route_is_documented():
    docs = (Path(__file__).parents[2] / "docs" / "owners.md").read_text()
    from registry.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("who-owns", "owned-by", "unowned", "owner-history", "assign", "unassign"):
        assert name in commands and f"specreg {name}" in docs
    app = create_app({"DATABASE_URL": "sqlite://"})
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("owners.", "owners_api.")):
            assert re.sub(r"<[^>]+>", "<>", rule.rule) in re.sub(r"<[^>]+>", "<>", docs), rule.rule


def test_every_clause_page_shows_its_owners_and_their_history(client):
    page = client.get("/clauses/say_unsure").get_data(as_text=True)
    section = page[page.index('id="clause-owners"'):]
    assert "inherited from document spec/rules.md" in section and "Ownership history (3 changes)" in section
    then = client.get("/clauses/respect_privacy?at=v1").get_data(as_text=True)
    assert "explicit entry" not in then and "grace@example.org" in then[then.index('id="clause-owners"'):]


@pytest.fixture
def statements(client) -> Iterator[list[str]]:
    """Every SQL statement the app runs while the test does."""
    with captured(client.application.extensions["specreg.engine"]) as seen:
        yield seen


@pytest.mark.parametrize("url", ["/owners", "/owners/grace@example.org", "/unowned", "/api/v1/owners",
                                 "/api/v1/unowned"])
def test_the_owner_lists_resolve_every_clause_without_reading_any_clause_text(client, statements, url):
    assert client.get(url).status_code == 200
    assert statements and not [s for s in statements if reads_text(s)]


def test_the_unowned_report_counts_the_share_of_the_text_from_the_clauses_lengths(client):
    body = client.get("/api/v1/unowned?at=2024-01-02").get_json()
    texts = {c["id"]: len(client.get(f"/api/v1/clauses/{c['id']}?at=2024-01-02").get_json()["text"])
             for c in client.get("/api/v1/clauses?at=2024-01-02").get_json()["clauses"]}
    bare = sum(texts[c["id"]] for c in body["clauses"])
    assert body["clauses"] and body["total"] == len(texts)
    assert body["text_share"] == round(bare / sum(texts.values()), 4)


def test_the_owners_page_lists_the_first_fifty_clauses_that_can_never_be_approved_and_counts_them_all(
        client, monkeypatch):
    from registry.proposals.feasibility import PolicyCheck, policy_check
    from registry.proposals.policy import Shortfall
    from registry.web.owners import pages

    def many(session, point):
        real = policy_check(session, point)
        short = tuple(Shortfall(f"c{n}", "default", 2, ("grace@example.org",)) for n in range(51))
        return PolicyCheck(real.at, real.source, short)

    monkeypatch.setattr(pages, "policy_check", many)
    page = client.get("/owners").get_data(as_text=True)
    assert page.count('<tr data-clause="c') == 50 and 'data-clause="c49"' in page and 'data-clause="c50"' not in page
    assert "51 clauses can never be approved" in page and "lists all 51" in page


@pytest.mark.parametrize("url", ["/clauses/say_unsure", "/clauses/say_unsure/owners",
                                 "/api/v1/clauses/say_unsure/owners"])
def test_a_clause_page_resolves_its_owners_once_per_ownership_event_and_not_again_for_the_point(
        client, monkeypatch, url):
    calls: list[tuple[int, int]] = []
    resolve = OwnersStore.owners_of

    def counted(self, clause_id, seq, moment):
        calls.append((clause_id, seq))
        return resolve(self, clause_id, seq, moment)

    monkeypatch.setattr(OwnersStore, "owners_of", counted)
    assert client.get(url).status_code == 200
    # say_unsure's owners can change at four commits (added, then three OWNERS.toml versions) and no
    # assignment: the last of them is resolved at the point itself, which answers "who owns it now".
    assert len(calls) == 4
