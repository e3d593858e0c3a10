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
