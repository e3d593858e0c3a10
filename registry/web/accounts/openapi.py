"""The user endpoints' part of the OpenAPI document (docs/web.md describes the bodies)."""
from __future__ import annotations

from typing import Any

from registry.web.openapi import BOOL, INT, NSTR, STR, _array, _obj, _op, _param, _ref, _write

EMAIL = _param("email", "path", "The account's email (compared case-insensitively).")
ROLE = {"enum": ["viewer", "editor", "admin"]}

SCHEMAS: dict[str, Any] = {
    "User": _obj(email=STR, name=STR, role=ROLE),
    "UserListing": _obj(email=STR, name=STR, role=ROLE, enabled=BOOL, password=BOOL, last_login=NSTR, tokens=INT),
}
PATHS: dict[str, Any] = {
    # Admins only, with a bearer token: the same use cases as `specreg user` and /admin/users.
    "/api/v1/users": {
        "get": {**_op("Every account (admins)", _obj(users=_array(_ref("UserListing"))), [], (401, 403))["get"],
                "security": [{"token": []}]},
        **_write("Add an account (admins); the password is optional (at least 8 characters)",
                 {**_obj(email=STR, name=STR), "properties": {"email": STR, "name": STR, "role": ROLE,
                                                             "password": STR}}, _ref("User"), [], 201)},
    "/api/v1/users/{email}/role": _write("Change an account's role (admins; never the last enabled admin's)",
                                         _obj(role=ROLE), _ref("User"), [EMAIL]),
    "/api/v1/users/{email}/password": _write(
        "Set a password (your own with current_password, or anyone's as an admin); revokes the account's API "
        "tokens and login sessions", {**_obj(password=STR), "properties": {"password": STR, "current_password": STR}},
        _obj(email=STR, password=BOOL), [EMAIL]),
    "/api/v1/users/{email}/disable": _write(
        "Disable an account, revoking its sessions and tokens at once (admins; never the last enabled admin)",
        None, _obj(email=STR, enabled=BOOL), [EMAIL]),
    "/api/v1/users/{email}/enable": _write("Enable a disabled account; old sessions and tokens stay revoked (admins)",
                                           None, _obj(email=STR, enabled=BOOL), [EMAIL]),
    "/api/v1/users/{email}/revoke-sessions": _write("Log an account out everywhere (yours, or anyone's as an admin)",
                                                    None, _obj(email=STR, revoked=INT), [EMAIL]),
}


def add_users(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put the user endpoints and schemas into the document (idempotent)."""
    schemas.update(SCHEMAS)
    paths.update(PATHS)
