"""Pure: is a proposed clause change editorial or normative?

`editorial` when only whitespace, punctuation, letter case or spelling changed: the two texts have
the same words in the same order once case, spacing and punctuation are set aside, and each word
that differs is a small misspelling of the other (an edit distance of at most 1 for words of 4 to 7
letters, 2 from 8 letters; never for words under 4 letters, which a single letter makes another
word: "or"/"of", "a"/"an"). Everything else is `normative`, and so is, whatever the distance:

- a changed word that holds a digit (12 -> 13 hours), or that is or becomes a word carrying the
  rule's force (must, should, may, not, never, only, all, ...: "must" -> "most" is one letter);
- a negating prefix added or removed (responsible -> irresponsible, able -> unable);
- a changed heading attribute (authority included), an added or removed clause, a governance file.

When in doubt the answer is normative: a change the policy lets through with fewer approvals must
be one that cannot change what the rule requires.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

EDITORIAL = "editorial"
NORMATIVE = "normative"
CLASSES = (EDITORIAL, NORMATIVE)

_WORD = re.compile(r"[^\W_]+")  # letters and digits; underscores and everything else separate words
# Words whose change changes the rule's force or scope (RFC 2119 terms, negations, quantifiers).
FORCEFUL = frozenset((
    "must", "shall", "should", "may", "might", "can", "cannot", "could", "will", "would", "need", "needs",
    "required", "require", "requires", "recommended", "optional", "not", "no", "nor", "never", "none", "neither",
    "always", "only", "all", "any", "every", "each", "some", "without", "unless", "except", "forbidden",
    "prohibited", "permitted", "allowed", "mandatory",
))
NEGATING_PREFIXES = ("non", "dis", "un", "in", "im", "il", "ir", "mis")


def words(text: str) -> list[str]:
    """The text's words, case-folded, without spacing or punctuation."""
    return _WORD.findall(text.casefold())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _allowed(a: str, b: str) -> int:
    shorter = min(len(a), len(b))
    return 0 if shorter < 4 else 1 if shorter < 8 else 2


def _negated(a: str, b: str) -> bool:
    """True when one word is the other with a negating prefix (able/unable)."""
    short, long_ = sorted((a, b), key=len)
    return long_.endswith(short) and long_[: len(long_) - len(short)] in NEGATING_PREFIXES


def spelling_only(a: str, b: str) -> bool:
    """True when word `b` may be a respelling of word `a` (see the module docstring)."""
    if a == b:
        return True
    if a in FORCEFUL or b in FORCEFUL or any(c.isdigit() for c in a + b) or _negated(a, b):
        return False
    return edit_distance(a, b) <= _allowed(a, b)


def classify_text(old: str, new: str) -> str:
    """editorial when `new` differs from `old` only in spacing, punctuation, case or spelling."""
    before, after = words(old), words(new)
    if len(before) != len(after):
        return NORMATIVE
    return EDITORIAL if all(spelling_only(a, b) for a, b in zip(before, after, strict=True)) else NORMATIVE


def classify_change(kind: str, old_title: str | None, new_title: str | None,
                    old_attributes: Mapping[str, object] | None, new_attributes: Mapping[str, object] | None,
                    old_body: str | None, new_body: str | None) -> str:
    """The class of one proposed change: only a `change` of a clause's title and body can be editorial."""
    if kind != "change" or old_title is None or new_title is None or old_body is None or new_body is None:
        return NORMATIVE
    if dict(old_attributes or {}) != dict(new_attributes or {}):
        return NORMATIVE
    title, body = classify_text(old_title, new_title), classify_text(old_body, new_body)
    return EDITORIAL if title == body == EDITORIAL else NORMATIVE
