"""Generated rename waves shaped like a real language reference's restructuring commits.

One wave is one commit in which hundreds of ids disappear and hundreds appear: a naming scheme
changes (same text, new ids), typos are fixed, rules are reworded, rules move to another file with
new ids, families of near-identical rules (one per attribute, say) are renamed together, some rules
are deleted and some written new, and a few clauses have no body or no text at all. The text is
drawn from a Zipf-distributed vocabulary with code spans and punctuation, at the sizes rules have
in such a reference (a sentence to a few paragraphs). Used by tests/spec/test_rename_equivalence.py
and bench/renames.py.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from itertools import accumulate

from registry.spec.identity import Candidate
from registry.spec.parser import document_slug

_SYLLABLES = ["ab", "al", "ar", "ba", "be", "ca", "co", "de", "di", "el", "en", "er", "fa", "fi", "ga", "ho",
              "im", "in", "ka", "la", "li", "lo", "ma", "me", "mi", "na", "ne", "no", "or", "pa", "pe", "po",
              "ra", "re", "ri", "ro", "sa", "se", "si", "ta", "te", "ti", "to", "un", "va", "ve", "xi", "zo"]
_FUNCTION_WORDS = ["the", "a", "of", "to", "is", "in", "that", "and", "an", "be", "it", "for", "as", "with",
                   "must", "may", "not", "this", "are", "by", "or", "if", "which", "its", "any", "on"]
_CODE = ["fn", "let", "mut", "impl", "trait", "struct", "enum", "unsafe", "extern", "const", "static",
         "Self", "self", "where", "dyn", "async", "await", "match", "loop", "while", "ref", "move", "type"]
_BOILERPLATE = [
    "The {a} attribute may only be applied to {b} items.",
    "It is an error to specify the {a} attribute more than once on the same {b}.",
    "This rule applies to every {a} in the {b} position.",
    "See the {a} chapter for how {b} interacts with this.",
]
_VOCABULARY = 4000


@dataclass(frozen=True)
class Wave:
    """One commit's vanished and newly appeared clauses, and the file renames it made."""

    gone: list[Candidate]
    arrived: list[Candidate]
    file_renames: dict[str, str] = field(default_factory=dict)


class _Text:
    """Deterministic reference-like prose: Zipf words, function words, code spans, punctuation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        seen: set[str] = set()
        vocabulary: list[str] = []
        while len(vocabulary) < _VOCABULARY:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                vocabulary.append(word)
        self.vocabulary = vocabulary
        self.cumulative = list(accumulate(1 / (rank + 1) ** 1.05 for rank in range(_VOCABULARY)))

    def word(self) -> str:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative)[0]

    def sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            template = rng.choice(_BOILERPLATE)
            return template.format(a=f"`{rng.choice(_CODE)}_{self.word()}`", b=self.word())
        out: list[str] = []
        for i in range(rng.randint(6, 24)):
            roll = rng.random()
            if roll < 0.40:
                out.append(rng.choice(_FUNCTION_WORDS))
            elif roll < 0.48:
                out.append(f"`{rng.choice(_CODE)}`")
            else:
                out.append(self.word())
            if i and rng.random() < 0.06:
                out[-1] += ","
        return " ".join(out).capitalize() + "."

    def body(self) -> str:
        rng = self.rng
        sentences = min(int(rng.lognormvariate(0.9, 0.7)) + 1, 14)
        paragraphs = [" ".join(self.sentence() for _ in range(sentences))]
        if rng.random() < 0.15:
            paragraphs.append("```rust\n" + "\n".join(f"{rng.choice(_CODE)} {self.word()} = {self.word()};"
                                                      for _ in range(rng.randint(1, 6))) + "\n```")
        return "\n\n".join(paragraphs)

    def title(self) -> str:
        if self.rng.random() < 0.35:
            return ""  # a rule paragraph under an `r[...]` marker has no heading of its own
        return " ".join(self.word() for _ in range(self.rng.randint(1, 4))).capitalize()


def _typo(rng: random.Random, text: str) -> str:
    """Fix (or make) one typo: one word changes by a letter or two."""
    tokens = text.split(" ")
    i = rng.randrange(len(tokens))
    w = tokens[i]
    tokens[i] = (w[:-1] + rng.choice("aeiou")) if len(w) > 2 else w + "s"
    return " ".join(tokens)


def _reword(text_gen: _Text, text: str, share: float) -> str:
    """Replace, drop or insert about `share` of the words."""
    rng = text_gen.rng
    out: list[str] = []
    for w in text.split(" "):
        roll = rng.random()
        if roll < share / 3:
            out.append(text_gen.word())
        elif roll < 2 * share / 3:
            continue
        elif roll < share:
            out += [w, text_gen.word()]
        else:
            out.append(w)
    return " ".join(out)


def rename_wave(seed: int, size: int = 500, files: int = 12) -> Wave:
    """About `size` gone and `size` arrived clauses of one restructuring commit, deterministic per seed."""
    rng = random.Random(seed)
    text = _Text(rng)
    documents = [f"src/{text.word()}/{text.word()}.md" for _ in range(files)]
    serial = 0

    def key(prefix: str) -> str:
        nonlocal serial
        serial += 1
        return f"{prefix}.{text.word()}.{text.word()}.{serial}"

    gone: list[Candidate] = []
    while len(gone) < size:
        document = rng.choice(documents)
        roll = rng.random()
        if roll < 0.08:  # a family: one rule per attribute, near-identical wording
            base = text.body()
            for _ in range(rng.randint(2, 6)):
                gone.append(Candidate(key("old"), document, "", _typo(rng, base)))
        elif roll < 0.11:  # the same short text under several ids
            body = rng.choice(["See below.", "This section is informative.", "Examples follow.", ""])
            for _ in range(rng.randint(2, 4)):
                gone.append(Candidate(key("old"), document, rng.choice(["", "Notes"]), body))
        elif roll < 0.13:
            gone.append(Candidate(key("old"), document, text.title(), ""))  # a heading with no body
        else:
            gone.append(Candidate(key("old"), document, text.title(), text.body()))
    gone = gone[:size]

    arrived: list[Candidate] = []
    for old in gone:
        roll = rng.random()
        if roll < 0.45:  # the naming scheme changed: same text, new id
            arrived.append(replace(old, key=key("new")))
        elif roll < 0.60 and old.body:
            arrived.append(replace(old, key=key("new"), body=_typo(rng, old.body)))
        elif roll < 0.72 and old.body:
            arrived.append(replace(old, key=key("new"), body=_reword(text, old.body, rng.choice([0.1, 0.25, 0.4]))))
        elif roll < 0.80:  # moved to another file with a new id (and maybe a touch-up)
            body = _typo(rng, old.body) if old.body and rng.random() < 0.5 else old.body
            arrived.append(replace(old, key=key("new"), document=rng.choice(documents), body=body))
        # else: deleted in this commit
    while len(arrived) < size:  # genuinely new rules, some written from the same templates
        arrived.append(Candidate(key("new"), rng.choice(documents), text.title(), text.body()))
    file_renames: dict[str, str] = {}
    if rng.random() < 0.5:  # a file renamed: its derived ids change with it, bodies may change too
        source, target = documents[0], f"src/{text.word()}/{text.word()}.md"
        file_renames[source] = target
        for _ in range(rng.randint(5, 30)):
            slug = f"{text.word()}-{text.word()}.{text.word()}"
            body = text.body()
            gone.append(Candidate(f"{document_slug(source)}:{slug}", source, text.title(), body))
            if rng.random() < 0.9:
                body = body if rng.random() < 0.5 else text.body()
                arrived.append(Candidate(f"{document_slug(target)}:{slug}", target, text.title(), body))
    rng.shuffle(gone)
    rng.shuffle(arrived)
    return Wave(gone, arrived, file_renames)
