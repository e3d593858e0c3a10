"""OWNERS.toml parsing: entries, teams, people, and warnings that point at a line."""
from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.owners.owners_toml import Entry, entry_kind, parse_owners

ISSUE_EXAMPLE = '''\
[people]                      # email = display name
"ada@example.org" = "Ada Byron"
"grace@example.org" = "Grace Hopper"
"alan@example.org" = "Alan Turing"
"edsger@example.org" = "Edsger Dijkstra"
[teams]                       # team = member emails
safety = ["grace@example.org", "alan@example.org"]
[owners]                      # key = owners; "team:NAME" names a team
"*" = ["ada@example.org"]                     # repo default
"spec/safety.md" = ["team:safety"]            # a document
"lex.*" = ["alan@example.org"]                # an id pattern
"respect_privacy" = ["grace@example.org"]     # one clause
"retention" = { owners = ["edsger@example.org"], inherit = true }
'''


def messages(text: str) -> list[tuple[str, int | None]]:
    return [(w.message, w.line) for w in parse_owners(text).warnings]


def test_the_issue_example_parses_without_warnings():
    f = parse_owners(ISSUE_EXAMPLE)
    assert f.valid and f.warnings == []
    assert f.people["ada@example.org"] == "Ada Byron"
    assert f.teams == {"safety": ("grace@example.org", "alan@example.org")}
    assert f.entries == [
        Entry("*", ("ada@example.org",), False, 9),
        Entry("spec/safety.md", ("team:safety",), False, 10),
        Entry("lex.*", ("alan@example.org",), False, 11),
        Entry("respect_privacy", ("grace@example.org",), False, 12),
        Entry("retention", ("edsger@example.org",), True, 13),
    ]
    assert [e.kind for e in f.entries] == ["default", "document", "pattern", "clause", "clause"]


def test_a_file_that_is_not_toml_is_invalid_with_the_line_of_the_error():
    f = parse_owners('[people]\n"ada@example.org" = "Ada"\n[owners]\n"*" = ["ada@example.org"\n')
    assert not f.valid and f.entries == []
    assert f.warnings[0].line == 4
    assert "previous ownership stays in force" in f.warnings[0].message


def test_an_unknown_team_is_a_warning_and_the_entry_keeps_its_other_owners():
    f = parse_owners(ISSUE_EXAMPLE.replace('["grace@example.org"]     #', '["grace@example.org", "team:privacy"] #'))
    assert ("'respect_privacy': unknown team 'privacy'", 12) in [(w.message, w.line) for w in f.warnings]
    assert Entry("respect_privacy", ("grace@example.org",), False, 12) in f.entries


def test_an_entry_with_no_valid_owner_left_is_ignored_so_inheritance_applies():
    f = parse_owners('[owners]\n"x" = ["team:ghosts"]\n"y" = []\n')
    assert [e.key for e in f.entries] == ["y"]  # an explicit empty list means: nobody
    assert ("'x': no valid owner left; entry ignored", 2) in messages('[owners]\n"x" = ["team:ghosts"]\n')


def test_a_person_missing_from_people_still_owns_but_is_flagged():
    f = parse_owners('[people]\n"ada@example.org" = "Ada"\n[owners]\n"x" = ["bob@example.org"]\n')
    assert f.entries[0].owners == ("bob@example.org",)
    assert ("bob@example.org is not listed in [people]", 4) in [(w.message, w.line) for w in f.warnings]


def test_emails_are_lowercased_and_duplicates_dropped():
    f = parse_owners('[owners]\n"x" = ["Ada@Example.org", "ada@example.org"]\n')
    assert f.entries[0].owners == ("ada@example.org",)


def test_an_unquoted_dotted_id_is_explained():
    assert any("quote keys that contain dots" in m and line == 2
               for m, line in messages('[owners]\nlex.truth = ["ada@example.org"]\n'))


def test_bad_values_are_warnings_not_errors():
    text = ('[people]\n"not-an-email" = "X"\n[teams]\nops = "ada@example.org"\n[owners]\n'
            '"a" = "ada@example.org"\n"b" = ["someone"]\n"spec/*.md" = ["ada@example.org"]\n'
            '"c" = { owners = ["ada@example.org"], inherit = "yes" }\n[extra]\n')
    found = messages(text)
    lines = sorted(line for _, line in found if line)
    assert lines == [2, 4, 6, 7, 7, 8, 9, 9, 10]
    assert any("unknown table [extra]" in m for m, _ in found)


def test_a_bom_and_crlf_are_accepted():
    f = parse_owners('\ufeff[owners]\r\n"*" = ["ada@example.org"]\r\n')
    assert f.valid and f.entries[0].line == 2


def test_keys_are_classified_by_shape():
    assert [entry_kind(k) for k in ("*", "README.md", "spec/a.md", "lex.*", "a?c", "spec.style:a.b")] == [
        "default", "document", "document", "pattern", "pattern", "clause"]


KEYS = st.text(alphabet=string.ascii_lowercase + string.digits + "._:-*", min_size=1, max_size=20)
EMAILS = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.org", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS.filter(lambda k: "/" not in k), st.lists(EMAILS, max_size=3), max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_written_entries_parse_back_with_their_lines(entries, inherits):
    lines = ["[owners]"]
    for (key, owners), inherit in zip(entries.items(), inherits):
        refs = ", ".join(f'"{o}"' for o in owners)
        lines.append(f'"{key}" = {{ owners = [{refs}], inherit = true }}' if inherit else f'"{key}" = [{refs}]')
    f = parse_owners("\n".join(lines) + "\n")
    assert f.valid
    assert [(e.key, e.line) for e in f.entries] == [(k, i + 2) for i, k in enumerate(entries)]
    for e, (_key, owners), inherit in zip(f.entries, entries.items(), inherits):
        assert e.owners == tuple(dict.fromkeys(owners)) and e.inherit == inherit


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_parses_without_raising(text):
    f = parse_owners(text)
    assert f.valid or (f.entries == [] and len(f.warnings) == 1)
