"""Names and emails that could forge a git trailer or identity line are refused wherever a person is named."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from registry.accounts.users import add_user, sso_actor
from registry.errors import BadIdentity, BadRequest
from registry.gitsource.writer import Person as GitPerson
from registry.models import Person
from registry.owners.owners_toml import parse_owners
from registry.person_ident import check_identity

FORGED = "Eve\nApproved-by: Root <root@example.org>; 2024-01-01T00:00:00Z; approve"
# (field, value, what the error names)
BAD = [
    ("name", FORGED, "a line break"),
    ("name", "Eve\rApproved-by: x", "a line break"),
    ("name", "Eve\u2028Approved-by: x", "a line break (U+2028)"),
    ("name", "Eve\x85Approved-by: x", "a line break (U+0085)"),
    ("name", "Eve <root@example.org>", "'<'"),
    ("name", "Eve>", "'>'"),
    ("name", "Eve\x00", "a control character (U+0000)"),
    ("name", "Eve\u202egro.elpmaxe", "a bidirectional control (U+202E)"),
    ("email", "eve@example.org>", "'>'"),
    ("email", "eve<root@example.org", "'<'"),
    ("email", "eve@exa\nmple.org", "a line break"),
    ("email", "eve@exa mple.org", "a space"),
]
BAD_IDS = [f"{field}-{i}" for i, (field, _, _) in enumerate(BAD)]
GOOD_NAMES = ["Zoë O'Brien-Łukasz", "李雷", "Anne-Marie d'Arc, PhD", "Dr. Eve; Jr."]


@pytest.mark.parametrize(("field", "value", "named"), BAD, ids=BAD_IDS)
def test_a_line_break_control_or_angle_bracket_is_refused_with_the_reason(field, value, named):
    with pytest.raises(BadIdentity, match=re.escape(f"a person's {field} may not contain {named}:")):
        check_identity(**{field: value})


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_ordinary_names_in_any_script_are_accepted(name):
    check_identity(name, "eve@example.org")


def _values(field: str, value: str) -> tuple[str, str]:
    """(name, email) with the bad value in its field and a good one in the other."""
    return (value, "eve@example.org") if field == "name" else ("Eve", value)


@pytest.fixture
def admin(session):
    return add_user(session, None, "root@example.org", "Root Admin", "admin", "correct horse", bootstrap=True)


@pytest.mark.parametrize(("field", "value", "named"), BAD, ids=BAD_IDS)
def test_adding_a_user_refuses_a_forging_name_or_email(session, admin, field, value, named):
    name, email = _values(field, value)
    with pytest.raises(BadRequest, match=re.escape(named)):
        add_user(session, admin, email, name)
    assert session.scalars(select(Person.email)).all() == ["root@example.org"]


@pytest.mark.parametrize(("field", "value", "named"), [b for b in BAD if b[0] == "email"],
                         ids=[i for i, b in zip(BAD_IDS, BAD) if b[0] == "email"])
def test_the_sso_header_cannot_create_a_forging_account(session, admin, field, value, named):
    with pytest.raises(BadRequest, match=re.escape(named)):
        sso_actor(session, value)
    assert session.scalars(select(Person.email)).all() == ["root@example.org"]


def test_no_path_can_store_a_forging_person_even_bypassing_the_use_cases(session):
    with pytest.raises(BadIdentity):
        Person(email="eve@example.org", name=FORGED)
    person = Person(email="eve@example.org", name="Eve")
    with pytest.raises(BadIdentity):
        person.email = "eve@example.org> x"


@pytest.mark.parametrize(("field", "value", "named"), BAD, ids=BAD_IDS)
def test_a_git_identity_refuses_a_forging_name_or_email(field, value, named):
    with pytest.raises(BadIdentity, match=re.escape(named)):
        GitPerson(*_values(field, value))


def test_a_good_git_identity_still_formats_as_git_expects():
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert GitPerson("Zoë", "zoe@example.org").ident(when) == "Zoë <zoe@example.org> 1704164645 +0000"


def _toml(value: str) -> str:
    """A TOML basic string holding value exactly (escapes for controls and quotes)."""
    out = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04X}" for c in value)
    return f'"{out}"'


@pytest.mark.parametrize(("field", "value", "named"), BAD, ids=BAD_IDS)
def test_an_owners_people_entry_with_a_forging_name_or_email_is_a_warning_and_skipped(field, value, named):
    name, email = _values(field, value)
    text = f'[people]\n"ada@example.org" = "Ada"\n{_toml(email)} = {_toml(name)}\n[owners]\n"*" = ["ada@example.org"]\n'
    f = parse_owners(text)
    assert f.valid and f.people == {"ada@example.org": "Ada"}
    assert [w.line for w in f.warnings] == [3]
    assert (f"{named}: " if field == "name" else "is not an email address") in f.warnings[0].message


@pytest.mark.parametrize("where", ["teams", "owners"])
def test_an_owners_reference_with_an_angle_bracket_is_not_an_email(where):
    bad = "<eve@example.org>"
    members = {"teams": ["ada@example.org", bad], "owners": ["ada@example.org"]}
    owners = {"teams": ["ada@example.org"], "owners": ["ada@example.org", bad]}
    text = ('[people]\n"ada@example.org" = "Ada"\n'
            f'[teams]\nsafety = [{", ".join(map(_toml, members[where]))}]\n'
            f'[owners]\n"*" = [{", ".join(map(_toml, owners[where]))}]\n')
    f = parse_owners(text)
    assert f.teams["safety"] == ("ada@example.org",) and f.entries[0].owners == ("ada@example.org",)
    assert [w.line for w in f.warnings if repr(bad) in w.message] == [4 if where == "teams" else 6]
