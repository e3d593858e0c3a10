"""frameworks.toml parsing: frameworks, items, the clause map, and a clear problem for each bad part."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.frameworks.frameworks_toml import ItemRef, parse_frameworks

DEMO = """[frameworks.demo-act]
title = "Demo AI Act"
items = { "art-9" = "Risk management", "art-14" = "Human oversight", "art-52" = "Transparency" }

[frameworks.rmf]
title = "Risk management framework"
items = { "govern" = "Govern", "map" = "Map" }

[map]
"chain_of_command" = ["demo-act:art-14"]
"lex.*" = ["demo-act:art-9", "rmf:map"]
"lex.truth" = ["demo-act:art-52", "demo-act:art-9"]
"""


def test_the_issue_example_gives_frameworks_items_and_map_entries_in_file_order():
    parsed = parse_frameworks(DEMO)
    assert parsed.valid and parsed.problems == []
    act = parsed.frameworks["demo-act"]
    assert (act.title, [(i.id, i.title) for i in act.items]) == (
        "Demo AI Act", [("art-9", "Risk management"), ("art-14", "Human oversight"), ("art-52", "Transparency")])
    assert [(e.key, [str(r) for r in e.refs], e.line) for e in parsed.entries] == [
        ("chain_of_command", ["demo-act:art-14"], 10), ("lex.*", ["demo-act:art-9", "rmf:map"], 11),
        ("lex.truth", ["demo-act:art-52", "demo-act:art-9"], 12)]


@pytest.mark.parametrize("clause_id, items", [
    ("chain_of_command", ["demo-act:art-14"]),
    ("lex.truth", ["demo-act:art-9", "rmf:map", "demo-act:art-52"]),  # every key that names it, each item once
    ("lex.other", ["demo-act:art-9", "rmf:map"]),
    ("lex", []),  # a pattern matches whole ids: lex.* needs the dot
    ("chain_of_command_2", []),
    ("lexicon.x", []),
])
def test_a_clause_answers_the_items_of_every_key_that_names_it(clause_id, items):
    assert [str(r) for r in parse_frameworks(DEMO).items_of(clause_id)] == items


def test_an_exact_key_with_brackets_is_an_id_not_a_character_class():
    parsed = parse_frameworks('[frameworks.f]\ntitle = "F"\nitems = { a = "A" }\n[map]\n"x[1]" = ["f:a"]\n')
    assert parsed.items_of("x[1]") == [ItemRef("f", "a")] and parsed.items_of("x1") == []


HEAD = '[frameworks.f]\ntitle = "F"\nitems = { a = "A", b = "B" }\n'


@pytest.mark.parametrize("text, problem", [
    (HEAD + '[map]\n"x" = ["g:a"]\n', "[map] 'x' (line 5): unknown framework 'g' (known: f); ignored"),
    (HEAD + '[map]\n"x" = ["f:c"]\n', "[map] 'x' (line 5): framework 'f' has no item 'c' (its items: a, b); ignored"),
    (HEAD + '[map]\n"x" = ["f-a"]\n', "[map] 'x' (line 5): 'f-a' is not \"framework:item\"; ignored"),
    (HEAD + '[map]\n"x" = ["f:a:b"]\n', "'f:a:b' is not \"framework:item\""),
    (HEAD + '[map]\n"x" = [1]\n', "1 is not \"framework:item\""),
    (HEAD + '[map]\n"x" = "f:a"\n', "[map] 'x' (line 5) must be a non-empty list of \"framework:item\" strings"),
    (HEAD + '[map]\n"x" = []\n', "must be a non-empty list"),
    (HEAD + '[map]\nlex.truth = ["f:a"]\n', "[map] 'lex' is a table, not a list of items (quote keys"),
    (HEAD + '[map]\n"spec/rules.md" = ["f:a"]\n', "keys are clause ids or id patterns, not document paths"),
    (HEAD + '[map]\n"spec/*" = ["f:a"]\n', "keys are clause ids or id patterns, not document paths"),
    ('[frameworks.f]\nitems = { a = "A" }\n', "[frameworks.f]: title must be a non-empty string"),
    ('[frameworks.f]\ntitle = 3\nitems = { a = "A" }\n', "[frameworks.f]: title must be a non-empty string"),
    ('[frameworks.f]\ntitle = "F"\nitems = ["a"]\n', "[frameworks.f]: items must be a table of item id = title, "
                                                      "not an array"),
    ('[frameworks.f]\ntitle = "F"\nitems = { a = 1 }\n', "[frameworks.f]: item 'a' needs a title"),
    ('[frameworks.f]\ntitle = "F"\nitems = { "a b" = "A" }\n', "item id 'a b' is not letters, digits"),
    ('[frameworks.f]\ntitle = "F"\nitems = { "a:b" = "A" }\n', "item id 'a:b' is not letters, digits"),
    ('[frameworks."f:g"]\ntitle = "F"\nitems = {}\n', "[frameworks.f:g]: a framework name is letters, digits"),
    ('[frameworks.f]\ntitle = "F"\nitems = {}\ncolor = "red"\n', "[frameworks.f]: unknown key 'color'"),
    ('frameworks = { f = 1 }\n', "frameworks.f must be a table with title and items, not an integer"),
    ('[owners]\n"x" = ["a@b.c"]\n', "unknown table [owners] (expected [frameworks.NAME] and [map])"),
])
def test_each_bad_part_is_a_problem_that_says_what_is_wrong(text, problem):
    parsed = parse_frameworks(text)
    assert parsed.valid
    assert any(problem in p for p in parsed.problems), parsed.problems


@pytest.mark.parametrize("text, problem", [
    ('[map\n', "frameworks.toml does not parse"),
    ('[map]\n"x" = [\n', "frameworks.toml does not parse"),
    ('frameworks = 1\n', "frameworks must be a table, not an integer"),
    ('map = ["x"]\n', "map must be a table, not an array"),
])
def test_a_file_that_is_not_toml_or_whose_tables_are_not_tables_is_invalid(text, problem):
    parsed = parse_frameworks(text)
    assert not parsed.valid and parsed.frameworks == {} and parsed.entries == []
    assert problem in parsed.problems[0]


def test_a_bad_reference_is_left_out_and_the_good_ones_stay():
    parsed = parse_frameworks(HEAD + '[map]\n"x" = ["f:a", "f:zz"]\n"y" = ["g:a"]\n')
    assert [(e.key, e.refs) for e in parsed.entries] == [("x", (ItemRef("f", "a"),))]
    assert len(parsed.problems) == 2


def test_an_empty_file_knows_no_framework_and_has_no_problem():
    parsed = parse_frameworks("")
    assert parsed.valid and parsed.frameworks == {} and parsed.entries == [] and parsed.problems == []


# --- properties ------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True)
TITLES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(str.strip)
IDS = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_*?][a-z0-9_*?]{0,4})?", fullmatch=True)


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string (no surrogate escapes)


@st.composite
def frameworks_files(draw: st.DrawFn) -> tuple[str, dict, dict]:
    frameworks = draw(st.dictionaries(NAMES, st.tuples(TITLES, st.dictionaries(NAMES, TITLES, max_size=4)),
                                      max_size=3))
    refs = [f"{n}:{i}" for n, (_t, items) in frameworks.items() for i in items]
    mapping = draw(st.dictionaries(IDS, st.lists(st.sampled_from(refs), min_size=1, max_size=3, unique=True),
                                   max_size=5)) if refs else {}
    lines = []
    for name, (title, items) in frameworks.items():
        pairs = ", ".join(f"{_quote(i)} = {_quote(t)}" for i, t in items.items())
        lines += [f"[frameworks.{_quote(name)}]", f"title = {_quote(title)}", f"items = {{ {pairs} }}", ""]
    lines += ["[map]"] + [f"{_quote(k)} = [{', '.join(_quote(r) for r in v)}]" for k, v in mapping.items()]
    return "\n".join(lines) + "\n", frameworks, mapping


@given(frameworks_files())
def test_any_well_formed_file_parses_back_to_what_was_written(case):
    text, frameworks, mapping = case
    parsed = parse_frameworks(text)
    assert parsed.valid and parsed.problems == []
    assert {n: (f.title, {i.id: i.title for i in f.items}) for n, f in parsed.frameworks.items()} == {
        n: (t.strip(), {i: it.strip() for i, it in items.items()}) for n, (t, items) in frameworks.items()}
    assert {e.key: [str(r) for r in e.refs] for e in parsed.entries} == mapping


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text):
    parsed = parse_frameworks(text)
    assert parsed.valid or parsed.problems
