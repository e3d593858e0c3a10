"""Ownership resolution, the pure part: which entry wins, inheritance, teams, assignments."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.owners.owners_toml import Entry, parse_owners
from registry.owners.resolution import Node, Resolver, Rules, describe_source

# spec/a.md: a > a.child > a.child.leaf, plus lex.truth and lex.truth.note under a
# spec/b.md: b1 (top level, no parent), b1.sub under it
NODES = {n.key: n for n in (
    Node("a", "spec/a.md"),
    Node("a.child", "spec/a.md", "a"),
    Node("a.child.leaf", "spec/a.md", "a.child"),
    Node("lex.truth", "spec/a.md", "a"),
    Node("lex.truth.note", "spec/a.md", "lex.truth"),
    Node("b1", "spec/b.md"),
    Node("b1.sub", "spec/b.md", "b1"),
)}
HEAD = '[people]\n"ada@x.org" = "Ada"\n"bob@x.org" = "Bob"\n"cy@x.org" = "Cy"\n"di@x.org" = "Di"\n' \
       '[teams]\nsafety = ["cy@x.org", "di@x.org"]\nempty = []\n[owners]\n'


def owners(entries: str, key: str, assigned: tuple[str, ...] = ()) -> list[tuple[str, str | None, str]]:
    f = parse_owners(HEAD + entries)
    resolver = Resolver(Rules.build(f.entries, f.teams), NODES)
    return [(o.email, o.team, o.source) for o in resolver.owners(key, assigned)]


ADA, BOB = "ada@x.org", "bob@x.org"


@pytest.mark.parametrize("entries, key, expected", [
    # the clause's own id wins over everything
    ('"*" = ["ada@x.org"]\n"spec/a.md" = ["ada@x.org"]\n"a.child" = ["bob@x.org"]', "a.child",
     [(BOB, None, "explicit")]),
    # no entry of its own: the nearest ancestor with an entry
    ('"a" = ["bob@x.org"]\n"spec/a.md" = ["ada@x.org"]', "a.child.leaf", [(BOB, None, "clause:a")]),
    ('"a" = ["ada@x.org"]\n"a.child" = ["bob@x.org"]', "a.child.leaf", [(BOB, None, "clause:a.child")]),
    # no ancestor entry: the document, then "*"
    ('"spec/a.md" = ["ada@x.org"]\n"*" = ["bob@x.org"]', "a.child.leaf", [(ADA, None, "document:spec/a.md")]),
    ('"spec/a.md" = ["ada@x.org"]\n"*" = ["bob@x.org"]', "b1.sub", [(BOB, None, "*")]),
    # noparent: a top-level clause falls to its document, then "*"
    ('"spec/b.md" = ["ada@x.org"]\n"*" = ["bob@x.org"]', "b1", [(ADA, None, "document:spec/b.md")]),
    ('"*" = ["bob@x.org"]', "b1", [(BOB, None, "*")]),
    ('', "b1", []),
    # patterns: longer first, and they beat ancestors and documents but not an exact id
    ('"lex.*" = ["ada@x.org"]\n"lex.truth*" = ["bob@x.org"]', "lex.truth", [(BOB, None, "pattern:lex.truth*")]),
    ('"lex.truth*" = ["bob@x.org"]\n"lex.*" = ["ada@x.org"]', "lex.truth", [(BOB, None, "pattern:lex.truth*")]),
    ('"lex.*" = ["ada@x.org"]\n"lex.truth" = ["bob@x.org"]', "lex.truth", [(BOB, None, "explicit")]),
    ('"a" = ["bob@x.org"]\n"lex.*" = ["ada@x.org"]', "lex.truth", [(ADA, None, "pattern:lex.*")]),
    ('"lex.*" = ["ada@x.org"]\n"spec/a.md" = ["bob@x.org"]', "a", [(BOB, None, "document:spec/a.md")]),
    # an ancestor matched by a pattern is an ancestor with an entry
    ('"lex.truth" = ["bob@x.org"]\n"spec/a.md" = ["ada@x.org"]', "lex.truth.note",
     [(BOB, None, "clause:lex.truth")]),
    # inherit = true adds what the clause would otherwise inherit, after its own owners
    ('"a.child" = { owners = ["bob@x.org"], inherit = true }\n"spec/a.md" = ["ada@x.org"]', "a.child",
     [(BOB, None, "explicit"), (ADA, None, "document:spec/a.md")]),
    ('"a.child" = { owners = ["bob@x.org"], inherit = true }\n"a" = ["ada@x.org"]', "a.child.leaf",
     [(BOB, None, "clause:a.child"), (ADA, None, "clause:a")]),
    ('"spec/b.md" = { owners = ["ada@x.org"], inherit = true }\n"*" = ["bob@x.org"]', "b1",
     [(ADA, None, "document:spec/b.md"), (BOB, None, "*")]),
    # an explicit empty list: nobody, and nothing inherited
    ('"a.child" = []\n"*" = ["bob@x.org"]', "a.child.leaf", []),
    ('"a.child" = { owners = [], inherit = true }\n"*" = ["bob@x.org"]', "a.child", [(BOB, None, "*")]),
    # teams expand to their members; a person listed twice appears once, most specific first
    ('"spec/b.md" = ["team:safety"]', "b1", [("cy@x.org", "safety", "document:spec/b.md"),
                                              ("di@x.org", "safety", "document:spec/b.md")]),
    ('"b1" = { owners = ["di@x.org"], inherit = true }\n"spec/b.md" = ["team:safety"]', "b1",
     [("di@x.org", None, "explicit"), ("cy@x.org", "safety", "document:spec/b.md")]),
    ('"b1" = ["team:empty"]\n"*" = ["bob@x.org"]', "b1", []),
])
def test_resolution(entries, key, expected):
    assert owners(entries, key) == expected


@pytest.mark.parametrize("entries, assigned, expected", [
    ('"b1" = ["ada@x.org"]', ("bob@x.org",), [(ADA, None, "explicit"), (BOB, None, "registry")]),
    ('"b1" = ["ada@x.org"]', ("ada@x.org",), [(ADA, None, "explicit")]),
    ('', ("team:safety",), [("cy@x.org", "safety", "registry"), ("di@x.org", "safety", "registry")]),
])
def test_registry_assignments_add_to_the_file_owners(entries, assigned, expected):
    assert owners(entries, "b1", assigned) == expected


def test_registry_assignments_are_not_inherited_by_child_clauses():
    f = parse_owners(HEAD + '"*" = ["ada@x.org"]')
    resolver = Resolver(Rules.build(f.entries, f.teams), NODES)
    resolver.owners("b1", ("bob@x.org",))
    assert [o.email for o in resolver.owners("b1.sub")] == [ADA]


@pytest.mark.parametrize("source, words", [
    ("explicit", "explicit entry"), ("pattern:lex.*", "id pattern lex.*"),
    ("clause:a", "inherited from clause a"), ("document:spec/a.md", "inherited from document spec/a.md"),
    ("*", "repo default (*)"), ("registry", "registry assignment"),
])
def test_sources_read_as_words(source, words):
    assert describe_source(source) == words


PEOPLE = ("ada@x.org", "bob@x.org", "cy@x.org")


@st.composite
def trees_and_entries(draw):
    """A random clause forest over two documents, and random id, document and default entries."""
    n = draw(st.integers(1, 12))
    nodes = {}
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.sampled_from(sorted(nodes)))) if nodes else None
        doc = nodes[parent].document if parent else draw(st.sampled_from(("spec/a.md", "spec/b.md")))
        nodes[f"c{i}"] = Node(f"c{i}", doc, parent)
    owners = st.lists(st.sampled_from(PEOPLE), max_size=2, unique=True).map(tuple)
    keys = st.sampled_from(sorted(nodes) + ["spec/a.md", "spec/b.md", "*"])
    entries = draw(st.dictionaries(keys, st.tuples(owners, st.booleans()), max_size=6))
    return nodes, [Entry(k, o, inherit) for k, (o, inherit) in entries.items()]


@settings(max_examples=200, deadline=None)
@given(trees_and_entries())
def test_a_clause_without_an_entry_owns_what_its_parent_or_document_would_give(case):
    nodes, entries = case
    rules = Rules.build(entries)
    resolver = Resolver(rules, nodes)
    for node in nodes.values():
        if node.key in rules.by_id:
            continue
        got = [o.email for o in resolver.owners(node.key)]
        if node.parent:
            assert got == [o.email for o in resolver.owners(node.parent)]
        else:
            doc, default = rules.documents.get(node.document), rules.default
            base = list(doc.owners) + (list(default.owners) if doc.inherit and default else []) if doc \
                else list(default.owners if default else ())
            assert got == list(dict.fromkeys(base))
