"""The OpenAPI 3.1 document for /api/v1 (a test checks it against the registered routes)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
NINT = {"type": ["integer", "null"]}
OBJ = {"type": "object", "additionalProperties": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _obj(**props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


def _param(name: str, where: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": STR}


ID = _param("id", "path", "A clause id (current or former; a former id redirects). May contain `:` and `.`.")
AT = _param("at", "query", "As-of ref: tag, branch, commit sha (or prefix) or ISO date. Default: the head.")
FROM = _param("from", "query", "The older ref.")
TO = _param("to", "query", "The newer ref.")


def _op(summary: str, schema: dict[str, Any], params: list[dict[str, Any]], errors: tuple[int, ...]) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    for status in errors:
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _write(summary: str, request: dict[str, Any] | None, schema: dict[str, Any], params: list[dict[str, Any]],
           status: int = 200) -> dict[str, Any]:
    """A POST that needs a bearer token; errors as {"error", "message"}."""
    responses: dict[str, Any] = {str(status): {"description": "Done",
                                               "content": {"application/json": {"schema": schema}}}}
    for code in (400, 401, 403, 404, 409):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    op: dict[str, Any] = {"summary": summary, "parameters": params, "security": [{"token": []}], "responses": responses}
    if request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    return {"post": op}


SCHEMAS: dict[str, Any] = {
    "Error": _obj(error=STR, message=STR),
    "Point": _obj(ref=STR, commit=STR, date=STR, head=BOOL),
    "ClauseSummary": _obj(id=STR, title=STR, document=STR, parent=NSTR, attributes=OBJ),
    "Clause": _obj(id=STR, title=STR, document=STR, parent=NSTR, attributes=OBJ, text=STR, commit=STR,
                   level=INT, changed_at=STR, current_id=STR, former_ids=_array(STR), parent_title=NSTR,
                   children=_array(_obj(id=STR, title=STR)), versions=INT,
                   prompts=_array(_obj(name=STR, path=STR, exists=BOOL, title=STR)),
                   unreadable={"oneOf": [{"type": "null"}, _obj(path=STR, commit=STR, date=STR, reason=STR)]}),
    "HistoryEntry": _obj(commit=STR, date=STR, author=STR, author_email=STR, changes=_array(STR), id=STR,
                         title=STR, document=STR, previous_id=NSTR, attributes=OBJ, subject=STR,
                         proposal=NINT, unapproved=BOOL, pre_governance=BOOL,
                         approvers=_array(_ref("Approver"))),
    "Approver": _obj(name=STR, email=STR, time=STR, meaning=STR),
    "BlameLine": _obj(text=STR, commit=STR, date=STR, author=STR, proposal=NINT, approvers=_array(_ref("Approver"))),
    "Op": _obj(op={"enum": ["equal", "delete", "insert"]}, text=STR),
    "Release": _obj(name=STR, commit=STR, date=STR, message=STR),
    "ChangelogEntry": _obj(id=STR, kinds=_array({"enum": ["added", "removed", "renamed", "moved", "modified"]}),
                           old_id=NSTR, new_id=NSTR, title=STR, old_document=NSTR, new_document=NSTR,
                           modified=_array(STR), authority=NSTR),
    "ReviewedChange": {"allOf": [_ref("ChangelogEntry"), _obj(
        document=STR, commits=INT, proposals=_array(INT),
        versions=_array(_obj(commit=STR, date=STR, author=STR, subject=STR, proposal=NINT,
                             approvers=_array(_ref("Approver")), rule=NSTR, unapproved=BOOL)),
        prompts=_array(_obj(name=STR, path=STR, exists=BOOL, title=STR)), no_prompt=BOOL,
        prose=_array(_obj(kind={"enum": ["equal", "changed", "deleted", "inserted", "elided"]}, paragraph=INT,
                          ops=_array(_ref("Op")))),
        prose_cut=INT)]},
    "Assignment": _obj(id=STR, owner=STR, action={"enum": ["assign", "unassign"]}, reason=STR, by=STR, at=STR,
                       assignment=INT),
    "SearchHit": _obj(id=STR, version_id=STR, title=STR, document=STR, commit=STR, date=STR, current=BOOL,
                      snippet=STR, highlights=_array(STR)),
}
_SIDE = {"oneOf": [{"type": "null"}, _obj(commit=STR, title=STR, attributes=OBJ, document=STR)]}
_REF = _obj(ref=STR, commit=STR)

PATHS: dict[str, Any] = {
    "/api/v1/clauses": _op(
        "Clauses in force at a point, by document then document order",
        _obj(at=_ref("Point"), clauses=_array(_ref("ClauseSummary")), total=INT, page=NINT, pages=NINT, next=NSTR),
        [AT, _param("page", "query", "Page number from 1 (500 clauses a page; `next` is the URL of the page after, "
                    "null on the last). Without it the answer is every clause, with page, pages and next null.")],
        (400, 404)),
    "/api/v1/clauses/{id}": _op("One clause at a point", _ref("Clause"), [ID, AT], (404,)),
    "/api/v1/clauses/{id}/history": _op("Every version of a clause, oldest first",
                                        _obj(id=STR, versions=_array(_ref("HistoryEntry"))), [ID], (404,)),
    "/api/v1/clauses/{id}/blame": _op(
        "Each line of a clause's text at a point with the commit, proposal and counted approvals that last changed it",
        _obj(id=STR, lines=_array(_ref("BlameLine"))), [ID, AT], (404,)),
    "/api/v1/clauses/{id}/diff": _op(
        "Word-level diff of a clause between two refs (default: its latest change)",
        _obj(id=STR, **{"from": _SIDE, "to": _SIDE}, ops=_array(_ref("Op")), from_ref=_REF, to_ref=_REF,
             title_ops=_array(_ref("Op")), attribute_changes=_array(_obj(key=STR, **{"from": NSTR, "to": NSTR}))),
        [ID, FROM, TO, AT], (404,)),
    "/api/v1/releases": _op("Tags on the branch, newest first", _obj(releases=_array(_ref("Release"))), [], ()),
    "/api/v1/changelog": _op(
        "Clauses added, removed, renamed, moved and modified between two refs",
        _obj(**{"from": _REF, "to": _REF}, counts=OBJ,
             clauses=_array({"anyOf": [_ref("ReviewedChange"), _ref("ChangelogEntry")]}),
             total=INT, page=NINT, pages=NINT, next=NSTR, no_prompt=NINT),
        [{**FROM, "required": True}, {**TO, "required": True},
         _param("page", "query", "Page number from 1: 15 clauses a page, grouped by document then authority, each "
                "with its prose diff (an excerpt), the versions in the span with their proposal, approvers and rule, "
                "and its evaluation prompts (`next` is the URL of the page after). Without it: every clause, "
                "without those, and page, pages, next and no_prompt null.")], (400, 404)),
    "/api/v1/search": _op(
        "Full-text search over clause ids, titles and text",
        _obj(query=STR, past=BOOL, results=_array(_ref("SearchHit"))),
        [_param("q", "query", "Words to find; all must match, the last one as a prefix.", True), AT,
         _param("past", "query", "`1` to search every version up to the point, not only current ones.")],
        (400, 404)),
    "/api/v1/openapi.json": _op("This document", OBJ, [], ()),
    # Owners (docs/owners.md describes the bodies).
    "/api/v1/clauses/{id}/owners": _op("A clause's owners and where each came from", OBJ, [ID, AT], (404,)),
    "/api/v1/clauses/{id}/owners/history": _op("Every change of a clause's owners", OBJ, [ID, AT], (404,)),
    "/api/v1/owners": _op("People and teams with their clause counts", OBJ, [AT], (404,)),
    "/api/v1/owners/{who}": _op("A person's (email) or team's (team:NAME) clauses", OBJ,
                                [_param("who", "path", "An email or team:NAME."), AT], (404,)),
    "/api/v1/unowned": _op("Clauses nobody owns, and their share of the spec", OBJ, [AT], (404,)),
    "/api/v1/clauses/{id}/owners/assign": _write(
        "Add a registry owner to the clause (admins); the reason is kept in the ownership history",
        _obj(owner=STR, reason=STR), _ref("Assignment"), [ID], 201),
    "/api/v1/clauses/{id}/owners/unassign": _write(
        "End a registry assignment (admins); owners from OWNERS.toml change only by editing the file",
        _obj(owner=STR, reason=STR), _ref("Assignment"), [ID], 201),
}


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    from registry.web.accountability.openapi import add_accountability
    from registry.web.accounts.openapi import add_users
    from registry.web.evidence.openapi import add_evidence
    from registry.web.frameworks.openapi import add_frameworks
    from registry.web.proposals.openapi import add_proposals

    # Copies: the module's dicts are shared by every thread serving a request, and one thread adding
    # the areas' paths while another serializes them would change a dict during its iteration.
    paths, schemas = dict(PATHS), dict(SCHEMAS)
    for add in (add_proposals, add_evidence, add_frameworks, add_accountability, add_users):
        add(paths, schemas)
    error = {"content": {"application/json": {"schema": _ref("Error")}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Specreg API", "version": "1",
                 "description": "Clauses, their history, diffs, releases, search, owners, proposals, "
                                "evidence reports and (for admins) users. "
                                "Reads are open (the user list is for admins); writes need a bearer token. Errors are "
                                "{\"error\": code, \"message\": text}."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {"E400": {"description": "Bad request: a malformed parameter, or a body that is not "
                                                  "a JSON object, has a field of the wrong type or misses one "
                                                  "(the message names the field)", **error},
                          "E401": {"description": "No valid bearer token", **error},
                          "E403": {"description": "Not allowed for this account (role, ownership)", **error},
                          "E404": {"description": "Unknown clause, version, ref or proposal", **error},
                          "E409": {"description": "Illegal in the proposal's state, policy not satisfied, "
                                                  "a merge conflict, a touched document git holds but that "
                                                  "cannot be read (document_unreadable), a review of a revision that is no "
                                                  "longer current, an owner assigned twice, an account that "
                                                  "exists, or a change that would leave no enabled admin",
                                   **error}},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "An API token from `specreg token create`."}},
        },
    }


def schema_text(schema: dict[str, Any]) -> str:
    """A schema in one readable line: `{id: string, versions: [HistoryEntry]}`, `string | null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "oneOf" in schema or "anyOf" in schema:
        return " | ".join(schema_text(s) for s in schema.get("oneOf", schema.get("anyOf", [])))
    if "allOf" in schema:
        return " & ".join(schema_text(s) for s in schema["allOf"])
    if "enum" in schema:
        return " | ".join(f'"{v}"' for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"[{schema_text(schema.get('items', {}))}]"
    if kind == "object" and "properties" in schema:
        return "{" + ", ".join(f"{k}: {schema_text(v)}" for k, v in schema["properties"].items()) + "}"
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the API reference page lists it."""

    method: str
    path: str
    summary: str
    parameters: list[dict[str, Any]]
    body: str | None
    returns: str
    status: str
    errors: list[str]
    token: bool

    @property
    def anchor(self) -> str:
        """An id for links to this operation."""
        return f"{self.method}-{self.path}".lower().replace("/", "-").replace("{", "").replace("}", "")


def reference(document: dict[str, Any]) -> list[tuple[str, list[Operation]]]:
    """The document's operations grouped by the first path segment after /api/v1, in document order."""
    groups: dict[str, list[Operation]] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            status, ok = next((s, r) for s, r in op["responses"].items() if s.startswith("2"))
            content = ok.get("content", {}).get("application/json", {})
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            group = path.split("/")[3] if path.count("/") >= 3 else path
            groups.setdefault(group, []).append(Operation(
                method.upper(), path, op.get("summary", ""), op.get("parameters", []),
                schema_text(body) if body else None, schema_text(content.get("schema", {})), status,
                [s for s in op["responses"] if not s.startswith("2")], bool(op.get("security"))))
    return list(groups.items())
