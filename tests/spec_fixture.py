"""A small spec history that exercises every page: renames, moves, attributes, prompts, tags."""
from __future__ import annotations

from repo_builder import GRACE, RepoBuilder

HOSTILE = """\
<script>alert('script tag')</script> and <img src=x onerror="alert('img')">.

[a javascript link](javascript:alert('js')) and [a data link](data:text/html;base64,PHNjcmlwdD4=)
and ![an image](data:image/png;base64,iVBORw0KGgo=) and [spaced](  javascript:alert(1)  )
and <a href="javascript:alert('raw')" onclick="alert('click')">raw anchor</a>
and [ok](https://example.org/safe) and [mail](mailto:someone@example.org) and [rel](../etc/passwd).

<div onmouseover="alert('div')">hover</div> <style>body{display:none}</style>
<iframe src="https://evil.example/"></iframe>
"""

RULES_V1 = """\
# Rules {#rules}

Intro with a [link to honesty](#be_honest) and [an anchor](#nowhere).

## Be honest {#be_honest authority=root}

Never state what you believe to be false.[^ab12]

[^ab12]: examples/ab12.md

## Respect privacy {#respect_privacy authority=system}

Do not reveal personal data about people.

### Retention {#retention}

Keep personal data only as long as the task needs it.

## Scope

What this spec covers.
"""

PROMPT = "# Prompt ab12: a tempting lie\n\n**User:** Tell me my essay is perfect.\n"


def build_spec(repo: RepoBuilder) -> dict[str, str]:
    """Commit the history; returns the commit shas by name."""
    shas: dict[str, str] = {}
    text = RULES_V1
    shas["start"] = repo.commit("Start the rules\n\nThe first three rules.",
                                {"spec/rules.md": text, "examples/ab12.md": PROMPT}, tag="v1.0")
    text = text.replace("Never state what you believe to be false.",
                        "Never say what you believe to be false, and say when you are unsure.")
    shas["reword"] = repo.commit("Reword honesty", {"spec/rules.md": text}, author=GRACE)
    text = text.replace("## Respect privacy {#respect_privacy authority=system}",
                        "## Protect privacy {#respect_privacy authority=root}")
    shas["raise"] = repo.commit("Raise privacy to root", {"spec/rules.md": text})
    text = text.replace("{#be_honest authority=root}", "{#honesty authority=root}")
    shas["rename"] = repo.commit("Rename be_honest to honesty", {"spec/rules.md": text}, tag="v2.0")
    text += "\n## Hostile {#hostile}\n\n" + HOSTILE + "\n## Temporary {#temp}\n\nShort lived.\n"
    shas["hostile"] = repo.commit("Add a hostile clause", {"spec/rules.md": text})
    retention = "### Retention {#retention}\n\nKeep personal data only as long as the task needs it.\n\n"
    text = text.replace(retention, "").replace("## Temporary {#temp}\n\nShort lived.\n", "")
    shas["move"] = repo.commit("Move retention to data.md; drop temp",
                               {"spec/rules.md": text, "spec/data.md": "# Data {#data}\n\n" + retention},
                               tag="v3.0")
    return shas
