"""The framework endpoints' part of the OpenAPI document (docs/frameworks.md describes the bodies)."""
from __future__ import annotations

from typing import Any

from registry.web.openapi import AT, INT, STR, _array, _obj, _op, _param, _ref

SCHEMAS: dict[str, Any] = {
    "FrameworkCoverage": _obj(framework=STR, items=_array(_obj(id=STR, title=STR, clauses=_array(STR))),
                              uncovered=_array(STR), unmapped_clauses=_array(STR)),
    "Frameworks": _obj(at=_obj(ref=STR, commit=STR),
                       frameworks=_array(_obj(name=STR, title=STR, items=INT, covered=INT))),
}
NAME = _param("name", "path", "A framework named in frameworks.toml.")
PATHS: dict[str, Any] = {
    "/api/v1/frameworks": _op("The frameworks in frameworks.toml, with how many of their items clauses answer",
                              _ref("Frameworks"), [AT], (404,)),
    "/api/v1/frameworks/{name}/coverage": _op(
        "Which clauses answer each item of a framework, its uncovered items and the clauses answering none",
        _ref("FrameworkCoverage"), [NAME, AT], (404,)),
}


def add_frameworks(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put the framework endpoints and schemas into the document (idempotent)."""
    schemas.update(SCHEMAS)
    paths.update(PATHS)
