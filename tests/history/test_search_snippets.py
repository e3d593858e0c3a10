"""Search snippets read as text: no footnotes, link targets, heading, list or emphasis marks."""
from __future__ import annotations

import pytest

from registry.history.search import plain_text, snippet

BODY = """## Be honest {#honesty authority=root}

r[rules.honesty]
Never **state** what you _believe_ false[^honesty_eval]. See [the rules](#other) and `code_x` or be_honest.

> quoted *it*
- item one
1. item two
<!-- hidden note -->
![logo](/static/x.png) <span>inline</span>

[^honesty_eval]: examples/honesty_eval.md
[ref]: https://example.org/defined
"""


def test_plain_text_keeps_the_words_and_drops_the_markup():
    assert plain_text(BODY) == ("Be honest Never state what you believe false. See the rules and code_x or "
                                "be_honest. quoted it item one item two logo inline")


@pytest.mark.parametrize("markup", ["[^", "**", "](", "{#", "r[", "<!--", "examples/honesty_eval.md",
                                    "https://example.org", "<span>", "`", "> ", "- item"])
def test_a_snippet_shows_none_of_the_markup(markup):
    shown = "".join(text for text, _ in snippet(plain_text(BODY), ["false"]))
    assert markup not in shown


def test_snake_case_ids_keep_their_underscores():
    assert plain_text("use be_honest_now and _x_ and __y__") == "use be_honest_now and x and y"
