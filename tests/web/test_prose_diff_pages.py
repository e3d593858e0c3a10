"""The diff page compares reflowed prose sentence by sentence, inline or side by side, never by colour alone."""
from __future__ import annotations


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_diff_page_shows_the_changed_sentence_with_marked_words(client, shas):
    html = html_of(client, f"/clauses/honesty/diff?from={shas['start']}&to={shas['reword']}")
    prose = html.split('<div class="prose-diff">', 1)[1].split("</div>", 1)[0]
    assert '<span class="sentence sentence-changed">' in prose
    assert '<ins><span class="sr-only">inserted: </span><span class="mk" aria-hidden="true">{+</span>' in prose
    assert "reflowed first" in html and "<summary>The Markdown source, word by word</summary>" in html


def test_the_side_by_side_prose_diff_puts_deletions_left_and_insertions_right(client, shas):
    html = html_of(client, f"/clauses/honesty/diff?from={shas['start']}&to={shas['reword']}&view=split")
    left, right = html.split('<div class="split">', 1)[1].split("<h3>To</h3>", 1)
    right = right.split("</div>\n</div>", 1)[0]
    assert '<div class="prose-diff">' in left and "<ins>" not in left
    assert "<ins>" in right and "<del>" not in right


def test_the_proposal_page_shows_its_change_as_a_prose_diff_with_the_word_diff_one_click_away(gov):
    n = gov.propose(body="Do not reveal personal data.\nNever sell it either.")
    html = html_of(gov.browser(None), f"/proposals/{n}")
    prose = html.split('<div class="prose-diff">', 1)[1].split("</div>", 1)[0]
    assert '<span class="sentence sentence-equal">Do not reveal personal data. </span>' in prose
    assert ('<span class="sentence sentence-inserted"><ins><span class="sr-only">inserted: </span>'
            '<span class="mk" aria-hidden="true">{+</span>Never sell it either.') in prose
    assert "<summary>The Markdown source, word by word</summary>" in html and "reflowed first" in html
    assert f'href="/proposals/{n}?view=split#changes-h"' in html


def test_the_proposal_page_side_by_side_keeps_deletions_left_and_insertions_right(gov):
    n = gov.propose(body="Never reveal personal data.")
    html = html_of(gov.browser(None), f"/proposals/{n}?view=split")
    left, right = html.split('<div class="split">', 1)[1].split("<h3>To</h3>", 1)
    right = right.split("</div>\n</div>", 1)[0]
    assert "<del>" in left and "<ins>" not in left
    assert "<ins>" in right and "<del>" not in right
    assert f'<a href="/proposals/{n}?view=split#changes-h" aria-current="page">Side by side</a>' in html


def test_a_proposal_that_only_rewraps_the_text_says_the_prose_reads_the_same(gov):
    n = gov.propose(body="Do not reveal\npersonal   data.")
    html = html_of(gov.browser(None), f"/proposals/{n}")
    assert "Only line wraps or spacing changed: the prose reads the same." in html
    assert "sentence-changed" not in html and "sentence-inserted" not in html
