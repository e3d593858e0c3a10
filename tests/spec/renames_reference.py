"""The rename matcher as it was before candidate pruning: every gone id scored against every arrived one.

Kept verbatim (only renamed) as the reference that registry.spec.identity.match_renames must agree
with; tests/spec/test_rename_equivalence.py compares the two and bench/renames.py times them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher

from registry.spec.identity import Candidate
from registry.spec.parser import document_slug

_WORD = re.compile(r"\w+|[^\w\s]")


def reference_words(c: Candidate) -> list[str]:
    """The tokens similarity is measured on: title and body words, lowercased."""
    return _WORD.findall(f"{c.title}\n{c.body}".lower())


def reference_similarity(a: Sequence[str], b: Sequence[str], floor: float = 0.0) -> float:
    """Share of tokens the two texts have in common, in order (0..1); 0 when surely below floor."""
    if not a and not b:
        return 0.0  # two empty clauses say nothing about being the same clause
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # Cheap upper bounds first: most pairs are plainly different clauses.
    if matcher.real_quick_ratio() < max(floor, 1e-9) or matcher.quick_ratio() < max(floor, 1e-9):
        return 0.0
    return matcher.ratio()


def _moved_with_file(gone: Candidate, new: Candidate, file_renames: Mapping[str, str]) -> bool:
    """A derived id that only changed because its document was renamed."""
    target = file_renames.get(gone.document)
    if target != new.document:
        return False
    old_prefix, new_prefix = document_slug(gone.document) + ":", document_slug(new.document) + ":"
    return gone.key.startswith(old_prefix) and new.key == new_prefix + gone.key[len(old_prefix):]


def reference_match_renames(
    gone: Sequence[Candidate],
    arrived: Sequence[Candidate],
    threshold: float = 0.6,
    file_renames: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Pair arrived ids with gone ids they rename: {new key: old key} (all pairs scored)."""
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    renames = file_renames or {}
    for new in arrived:
        for old in gone:
            if old.key not in taken and _moved_with_file(old, new, renames):
                pairs[new.key] = old.key
                taken.add(old.key)
                break
    rest_gone = [g for g in gone if g.key not in taken]
    rest_new = [a for a in arrived if a.key not in pairs]
    if not rest_gone or not rest_new:
        return pairs
    gone_words = {g.key: reference_words(g) for g in rest_gone}
    scored: list[tuple[float, str, str]] = []
    for new in rest_new:
        new_words = reference_words(new)
        for old in rest_gone:
            score = reference_similarity(gone_words[old.key], new_words, threshold)
            if score >= threshold:
                scored.append((score, new.key, old.key))
    # Best first; ties broken by ids so the result never depends on input order.
    for _score, new_key, old_key in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if new_key not in pairs and old_key not in taken:
            pairs[new_key] = old_key
            taken.add(old_key)
    return pairs
