"""Words, sentences and people for generated spec text (seeded, so every build is the same)."""
from __future__ import annotations

import random

from registry.gitsource.writer import Person

# Technical prose with a vocabulary large enough that unrelated rules share few words in order,
# as in a real reference (a small vocabulary would make every pair of rules look alike).
_WORDS = (
    "a an the this that each every any some no one two its their which when where if unless while "
    "must may should shall not never always only also then otherwise except before after within "
    "expression statement item type trait lifetime reference pointer value place operand operator "
    "block scope binding pattern variable constant static function method closure argument parameter "
    "return field struct enum union variant tuple array slice string integer float boolean character "
    "module crate path name identifier keyword token literal macro attribute derive visibility public "
    "private generic bound clause predicate implementation impl receiver borrow mutable shared unique "
    "owned moved copied dropped destructor drop temporary scrutinee guard arm match loop label break "
    "continue iteration range index call evaluation order side effect panic unwind abort layout "
    "alignment size offset representation discriminant niche padding memory address allocation "
    "behavior undefined defined valid invalid safe unsafe sound compiler program execution runtime "
    "compile time constant-evaluated inferred coerced cast conversion subtype variance invariant "
    "covariant contravariant object-safe dyn sized unsized auto marker associated projection "
    "normalization resolution namespace import export glob prelude edition lint warning error "
    "denied allowed expected preceded followed enclosed nested outer inner trailing leading "
    "whitespace comment documentation grammar production rule syntax semantics example note"
)
WORDS = tuple(_WORDS.split())
ID_WORDS = tuple(w for w in WORDS if w.isalpha() and len(w) > 3)  # words ids are made of
CODE_NAMES = ("Foo", "Bar", "S", "T", "x", "y", "f", "main", "Option", "Box", "Vec", "Copy", "Drop",
              "Send", "Sync", "Sized", "u8", "i32", "usize", "str", "self", "Self", "impl", "dyn", "async")
PEOPLE = tuple(Person(n, f"{n.split()[0].lower()}@example.org") for n in (
    "Ada Byron", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Katherine Johnson",
    "Margaret Hamilton", "John Backus", "Frances Allen", "Niklaus Wirth", "Robin Milner", "Tony Hoare"))


# Function words make up about a third of English prose; they are what makes two unrelated
# sentences share tokens, and so what makes rename matching compare them in earnest.
_FUNCTION_WORDS = "the the the a a of of to to is is in be that and or with for as by it are on"
FUNCTION_WORDS = tuple(_FUNCTION_WORDS.split())


def word(rng: random.Random) -> str:
    """One prose word."""
    return rng.choice(FUNCTION_WORDS) if rng.random() < 0.35 else rng.choice(WORDS)


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    """A capitalised sentence, now and then with inline code or a reference-style link."""
    words = [word(rng) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"`{rng.choice(CODE_NAMES)}`"
    if rng.random() < 0.15:
        k = rng.randrange(len(words))
        words[k] = f"[{words[k].strip('`')}]"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, low: int = 1, high: int = 4) -> str:
    """A paragraph of a few sentences on one line (as most Markdown sources write them)."""
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def title(rng: random.Random, low: int = 1, high: int = 4) -> str:
    """A heading title."""
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))
    return text[0].upper() + text[1:]
