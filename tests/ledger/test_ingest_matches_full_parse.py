"""At every commit, the ledger holds exactly what a fresh full parse of that commit's documents says.

Ingest re-parses only the changed window of each document and skips clauses the parser carried
over unchanged; this checks those shortcuts against the plain answer over many random edits.
"""
from __future__ import annotations

import random

import pytest
from ledger_helpers import render_sections, run_ingest

from registry.history.queries import list_clauses
from registry.ledger.refs import resolve
from registry.spec.parser import parse

TITLES = ["Scope", "Privacy", "Honesty", "Tone", "Format", "Safety", "Limits", "Examples"]


def _render(sections: list[dict]) -> str:
    return render_sections("# Spec {#spec}\n\nIntro.\n", sections)


def _edit(rng: random.Random, sections: list[dict], serial: list[int]) -> None:
    target = rng.choice(sections)
    kind = rng.randrange(8)
    if kind == 0:
        target["body"] += f" More words {rng.randrange(99)}."
    elif kind == 1:
        target["title"] = rng.choice(TITLES)  # retitles, and now and then a duplicate derived id
    elif kind == 2:
        target["level"] = rng.choice((2, 3, 4))
    elif kind == 3 and len(sections) > 3:
        sections.remove(target)
    elif kind == 4:
        target["fence"] = not target["fence"]
    elif kind == 5:
        target["id"] = rng.choice((None, f"c{rng.randrange(6)}"))  # id renames and duplicate ids
    else:
        serial[0] += 1
        sections.insert(rng.randrange(len(sections) + 1), {
            "id": rng.choice((None, f"n{serial[0]}")), "title": rng.choice(TITLES), "level": rng.choice((2, 3)),
            "body": f"Body {serial[0]}.", "fence": False})


@pytest.mark.parametrize("seed", range(6))
def test_every_commit_in_the_ledger_equals_a_full_parse_of_it(session, repo, seed):
    rng = random.Random(seed)
    serial = [0]
    sections = [{"id": f"s{n}" if n % 2 else None, "title": TITLES[n], "level": 2 + n % 2,
                 "body": f"Body of {n}.", "fence": False} for n in range(6)]
    texts = []
    for n in range(14):
        if n:
            for _ in range(rng.randint(1, 2)):
                _edit(rng, sections, serial)
        texts.append(_render(sections))
        repo.commit(f"edit {n}", {"spec/a.md": texts[-1]})
    run_ingest(session, repo)
    for n, text in enumerate(texts):
        expected = [(c.key, c.title, c.body, c.parent) for c in parse("spec/a.md", text).clauses]
        point = resolve(session, f"2024-01-{n + 2:02d}")
        got = [(v.id, v.title, v.text, v.parent) for v in list_clauses(session, point)]
        assert got == expected, f"commit {n}"
