"""A governed history for evidence reports, and readers that turn each export format back into facts."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from proposal_helpers import HEADINGS, RULES, STYLE, World, adopt, build_world
from repo_builder import GRACE, RepoBuilder
from sqlalchemy.orm import Session

from registry.gitsource import SpecSource
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.merge import merge

PROMPT = "# Prompt ab12: a long answer\n\n**User:** Explain everything.\n"
TITLE = "Tighten <privacy> & =SUM(A1)"  # user-written text that must come out escaped / inert
RATIONALE = "-Because \"people\" asked.\nSecond line <b>bold</b>."


@dataclass
class History:
    """The world and what was made: v1.0 (setup), a merged proposal, a direct commit (v2.0), one more."""

    world: World
    proposal: int
    shas: dict[str, str]


def tag(repo: RepoBuilder, name: str, sha: str) -> None:
    """A lightweight tag on a commit."""
    subprocess.run(["git", "-C", str(repo.path), "tag", name, sha], check=True)


def build_history(repo: RepoBuilder, session: Session) -> History:
    """seq 1 setup (tag v1.0); seq 2 a merged proposal approved by Grace; seq 3 a direct commit by
    Grace citing a prompt (tag v2.0); seq 4 a direct commit after the release."""
    world = build_world(repo, session)
    adopt(world)  # the setup wrote OWNERS.toml and policy.toml directly
    shas = {"setup": repo.head()}
    tag(repo, "v1.0", shas["setup"])
    body = "Never reveal personal data."
    change = ChangeInput("change", "respect_privacy", f"{HEADINGS['respect_privacy']}\n\n{body}\n")
    with SpecSource(repo.path) as source:
        n = propose(session, source, world.users["ada"], TITLE, RATIONALE, [change]).id
    reviews.approve(session, world.users["grace"], n)
    shas["merge"] = merge(session, repo.path, "main", world.users["ada"], n).commit
    rules = RULES.replace("Do not reveal personal data.", body).replace(
        "Prefer short answers.", "Prefer short answers.[^ab12]\n\n[^ab12]: examples/ab12.md")
    shas["direct"] = repo.commit("Cite a prompt for brevity", {"spec/rules.md": rules, "examples/ab12.md": PROMPT},
                                 author=GRACE, tag="v2.0")
    shas["after"] = repo.commit("Warmer tone", {"spec/style.md": STYLE.replace("Be warm.", "Be warm and kind.")})
    world.ingest()
    return History(world, n, shas)


# --- readers: each format back to the same facts ------------------------------------------------

@dataclass
class Facts:
    """What every format must agree on."""

    changes: list[tuple[str, str, int | None, bool]]  # (commit, clause id, proposal id, unapproved)
    approvers: dict[tuple[str, str], list[str]]  # (commit, clause) -> approver emails
    owners: dict[tuple[str, str], list[str]]  # (commit, clause) -> owner emails
    unapproved: list[str]  # commits
    rewrites: list[str]  # old heads
    unowned: list[str]
    coverage: dict[str, list[str]]  # clause -> prompt names (empty: none)
    findings: int
    counts: dict[str, int]
    frameworks: dict[str, list[str]]  # "framework:item" -> the clauses answering it


def facts_from_json(text: str) -> Facts:
    """Read the JSON export."""
    data = json.loads(text)
    ch = data["changes"]
    cov = {c["id"]: [p["name"] for p in c["prompts"]] for c in data["coverage"]["with_prompts"]}
    cov |= {c["id"]: [] for c in data["coverage"]["without_prompts"]}
    return Facts([(c["commit"], c["id"], c["proposal"]["id"] if c["proposal"] else None, c["unapproved"]) for c in ch],
                 {(c["commit"], c["id"]): [a["email"] for a in c["approvers"]] for c in ch},
                 {(c["commit"], c["id"]): [o["email"] for o in c["owners"]] for c in ch},
                 [u["commit"] for u in data["unapproved"]], [w["old_head"] for w in data["rewrites"]],
                 [c["id"] for c in data["unowned"]["clauses"]],
                 cov, len(data["verify"]["findings"]), data["counts"],
                 {f"{f['framework']}:{i['id']}": i["clauses"] for f in data["frameworks"] for i in f["items"]})


def csv_rows(text: str) -> list[dict[str, str]]:
    """The CSV's rows, with the spreadsheet formula guard (a leading ') taken off again."""
    return [{k: v[1:] if v.startswith("'") else v for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text, newline=""))]


def _email(cell: str) -> str:
    return cell.split("<", 1)[1].split(">", 1)[0]


def facts_from_csv(text: str) -> Facts:
    """Read the CSV export."""
    rows = csv_rows(text)
    of = lambda kind: [r for r in rows if r["record"] == kind]  # noqa: E731
    ch = of("change")
    lines = lambda cell: cell.split("\n") if cell else []  # noqa: E731
    return Facts([(r["commit"], r["clause_id"], int(r["proposal_id"]) if r["proposal_id"] else None,
                   r["unapproved"] == "yes") for r in ch],
                 {(r["commit"], r["clause_id"]): [_email(a) for a in lines(r["approvers"])] for r in ch},
                 {(r["commit"], r["clause_id"]): [_email(o) for o in lines(r["owners"])] for r in ch},
                 [r["commit"] for r in of("unapproved")], [r["commit"] for r in of("rewrite")],
                 [r["clause_id"] for r in of("unowned")],
                 {r["clause_id"]: lines(r["prompts"]) for r in of("coverage")}, len(of("finding")),
                 {r["key"][len("count_"):]: int(r["value"]) for r in of("meta") if r["key"].startswith("count_")},
                 {r["key"]: lines(r["clause_id"]) for r in of("framework_item")})


class ReportParser(HTMLParser):
    """Collects the data-* attributes the report's rows carry, and which element holds what."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, dict[str, str]]] = []  # (class, attrs) of marked rows and items
        self.counts: dict[str, int] = {}
        self.tags: list[str] = []
        self._count: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if "data-count" in a:
            self._count = a["data-count"]
        if tag == "td":
            self._text = ""  # the count is the row's last cell
        cls = a.get("class", "")
        if cls in ("change", "approver", "owner", "unapproved", "rewrite", "unowned", "coverage", "finding",
                   "approval", "proposal", "framework-item"):
            self.rows.append((cls, a))

    def handle_data(self, data: str) -> None:
        if self._count is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._count is not None:
            self.counts[self._count] = int(self._text)
            self._count = None


def facts_from_html(text: str) -> Facts:
    """Read the HTML export back through html.parser."""
    p = ReportParser()
    p.feed(text)
    p.close()
    changes, approvers, owners, current = [], {}, {}, None
    for cls, a in p.rows:
        if cls == "change":
            current = (a["data-commit"], a["data-clause"])
            changes.append((*current, int(a["data-proposal"]) if a["data-proposal"] else None,
                            a["data-unapproved"] == "yes"))
            approvers[current], owners[current] = [], []
        elif cls in ("approver", "owner") and current is not None:
            (approvers if cls == "approver" else owners)[current].append(a["data-email"])
    rows = lambda kind: [a for c, a in p.rows if c == kind]  # noqa: E731
    return Facts(changes, approvers, owners, [a["data-commit"] for a in rows("unapproved")],
                 [a["data-commit"] for a in rows("rewrite")],
                 [a["data-clause"] for a in rows("unowned")],
                 {a["data-clause"]: a["data-prompts"].split() for a in rows("coverage")},
                 len(rows("finding")), p.counts,
                 {a["data-item"]: a["data-clauses"].split() for a in rows("framework-item")})


def read(fmt: str, text: str) -> Facts:
    """The facts of an export in any format."""
    return {"json": facts_from_json, "csv": facts_from_csv, "html": facts_from_html}[fmt](text)


def same(a: Facts, b: Facts) -> dict[str, Any]:
    """Differences between two readings (empty: they agree); counts compare on the keys both have."""
    diff = {k: (getattr(a, k), getattr(b, k)) for k in ("changes", "approvers", "owners", "unapproved",
                                                        "rewrites", "unowned", "coverage", "findings", "frameworks")
            if getattr(a, k) != getattr(b, k)}
    shared = set(a.counts) & set(b.counts)
    if {k: a.counts[k] for k in shared} != {k: b.counts[k] for k in shared}:
        diff["counts"] = (a.counts, b.counts)
    return diff
