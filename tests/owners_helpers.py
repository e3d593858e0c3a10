"""A small spec with an OWNERS.toml history, shared by the owners tests."""
from __future__ import annotations

from repo_builder import RepoBuilder
from sqlalchemy.orm import Session

from registry.ledger.refs import resolve
from registry.owners.queries import who_owns

RULES = """# Rules {#rules}

Intro.

## Be honest {#be_honest}

Never state what you believe to be false.

### Say when unsure {#say_unsure}

Flag uncertainty.

## Respect privacy {#respect_privacy}

Do not reveal personal data.
"""
LEX = """# Lexicon {#lexicon}

r[lex.truth]
Truth is what is the case.

r[lex.harm]
Harm is damage to a person.
"""
PEOPLE = """[people]
"ada@example.org" = "Ada Byron"
"grace@example.org" = "Grace Hopper"
"alan@example.org" = "Alan Turing"

[teams]
safety = ["grace@example.org"]

"""
OWNERS_V1 = PEOPLE + """[owners]
"*" = ["ada@example.org"]
"spec/rules.md" = ["team:safety"]
"lex.*" = ["alan@example.org"]
"""
# v2: Alan joins the safety team; respect_privacy gets its own owner.
OWNERS_V2 = OWNERS_V1.replace('safety = ["grace@example.org"]', 'safety = ["grace@example.org", "alan@example.org"]') \
    + '"respect_privacy" = ["ada@example.org"]\n'


def build(repo: RepoBuilder) -> list[str]:
    """Three commits: the spec, OWNERS v1 (tag v1), OWNERS v2 (tag v2); returns their shas."""
    return [
        repo.commit("Add the rules and the lexicon", {"spec/rules.md": RULES, "spec/lexicon.md": LEX}),
        repo.commit("Add OWNERS.toml", {"OWNERS.toml": OWNERS_V1}, tag="v1"),
        repo.commit("OWNERS: Alan joins safety; Ada takes privacy", {"OWNERS.toml": OWNERS_V2}, tag="v2"),
    ]


def emails(session: Session, key: str, ref: str | None = None) -> list[str]:
    """The emails of a clause's effective owners at ref."""
    return [o.email for o in who_owns(session, key, resolve(session, ref)).owners]
