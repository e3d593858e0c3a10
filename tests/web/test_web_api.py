"""The JSON API: same fields as the CLI, documented errors, and an OpenAPI document that matches."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from registry.cli import main as cli

DOCS = Path(__file__).resolve().parents[2] / "docs"


def cli_json(spec, monkeypatch, capsys, *args: str) -> object:
    url, _shas, repo = spec
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    assert cli([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_clause_has_every_field_specreg_show_gives(client, spec, monkeypatch, capsys):
    shown = cli_json(spec, monkeypatch, capsys, "show", "honesty", "--at", "v2.0")
    body = client.get("/api/v1/clauses/honesty?at=v2.0").get_json()
    assert {k: body[k] for k in shown} == shown
    assert body["former_ids"] == ["be_honest"] and body["parent_title"] == "Rules"
    assert body["prompts"] == [{"name": "ab12", "path": "examples/ab12.md", "exists": True,
                                "title": "Prompt ab12: a tempting lie"}]


def test_history_has_every_field_specreg_history_gives(client, spec, monkeypatch, capsys):
    history = cli_json(spec, monkeypatch, capsys, "history", "honesty")
    assert client.get("/api/v1/clauses/honesty/history").get_json()["versions"] == history


def test_the_clause_list_follows_the_as_of_point(client, spec, monkeypatch, capsys):
    listed = cli_json(spec, monkeypatch, capsys, "clauses", "--at", "v1.0")
    body = client.get("/api/v1/clauses?at=v1.0").get_json()
    assert body["clauses"] == listed
    assert body["at"]["ref"] == "v1.0" and body["at"]["head"] is False


def test_a_diff_has_the_cli_fields_and_the_title_and_attribute_changes(client, spec, monkeypatch, capsys):
    diff = cli_json(spec, monkeypatch, capsys, "diff", "respect_privacy", "v1.0", "v2.0")
    body = client.get("/api/v1/clauses/respect_privacy/diff?from=v1.0&to=v2.0").get_json()
    assert {k: body[k] for k in diff} == diff
    assert body["attribute_changes"] == [{"key": "authority", "from": "system", "to": "root"}]
    assert {"op": "insert", "text": "Protect"} in body["title_ops"]


def test_releases_and_the_changelog_between_two_tags(client):
    assert [r["name"] for r in client.get("/api/v1/releases").get_json()["releases"]] == ["v3.0", "v2.0", "v1.0"]
    log = client.get("/api/v1/changelog?from=v1.0&to=v3.0").get_json()
    assert log["counts"] == {"added": 2, "removed": 0, "renamed": 1, "moved": 1, "modified": 2}
    honesty = next(c for c in log["clauses"] if c["id"] == "honesty")
    assert honesty["kinds"] == ["renamed", "modified"] and honesty["modified"] == ["body"]


def test_search_returns_current_hits_or_past_versions_on_request(client):
    hits = client.get("/api/v1/search?q=personal").get_json()["results"]
    assert sorted(h["id"] for h in hits) == ["respect_privacy", "retention"]
    past = client.get("/api/v1/search?q=short+lived&past=1").get_json()["results"]
    assert [(h["id"], h["current"]) for h in past] == [("temp", False)]


@pytest.mark.parametrize("url, status, error", [
    ("/api/v1/clauses/nope", 404, "unknown_clause"),
    ("/api/v1/clauses/hostile?at=v1.0", 404, "unknown_version"),
    ("/api/v1/clauses?at=nope", 404, "unknown_ref"),
    ("/api/v1/clauses/honesty/diff?from=v1.0&to=nope", 404, "unknown_ref"),
    ("/api/v1/changelog?from=v1.0", 400, "bad_request"),
    ("/api/v1/search", 400, "bad_request"),
    ("/api/v1/search?q=" + "x" * 201, 400, "bad_request"),
    ("/api/v1/nothing-here", 404, "not_found"),
])
def test_errors_are_json_with_error_and_message(client, url, status, error):
    response = client.get(url)
    assert response.status_code == status
    assert response.is_json and set(response.get_json()) == {"error", "message"}
    assert response.get_json()["error"] == error


def api_methods(app, path: str) -> set[str]:
    """The methods the app serves at one OpenAPI path (HEAD and OPTIONS left out)."""
    return {m.lower() for rule in app.url_map.iter_rules()
            if re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) == path for m in rule.methods} - {"head", "options"}


def api_routes(app) -> set[str]:
    """Every /api/v1 route as an OpenAPI path (`<id>` becomes `{id}`)."""
    return {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1")}


def test_the_openapi_document_describes_exactly_the_real_routes(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == api_routes(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
        assert set(item) == api_methods(app, path), path


def test_building_the_openapi_document_leaves_the_shared_base_document_as_it_was():
    # Every thread of a worker builds the document from these module dicts: none may change them.
    from registry.web import openapi

    paths, schemas = set(openapi.PATHS), json.dumps(openapi.SCHEMAS, sort_keys=True)
    document = openapi.openapi_document()
    assert "/api/v1/proposals" in document["paths"] and "proposal" in \
        document["components"]["schemas"]["HistoryEntry"]["properties"]
    assert (set(openapi.PATHS), json.dumps(openapi.SCHEMAS, sort_keys=True)) == (paths, schemas)
    assert openapi.openapi_document() == document


def test_every_route_is_in_the_docs(app):
    docs = re.sub(r"<[^>]+>", "<>", "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")))
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            assert re.search(f"`(GET )?{re.escape(re.sub(r'<[^>]+>', '<>', rule.rule))}[`?]", docs), \
                f"{rule.rule} is missing from docs/"
