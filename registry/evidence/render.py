"""Pure renderers of an EvidenceReport: JSON, CSV and a printable HTML page (docs/evidence.md).

Each is a function of the report alone (the HTML one also takes how to link ids, if at all), so
the command line, the web page and the API produce the same bytes for the same report.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from registry.accountability.unapproved import AcknowledgementView
from registry.config import PROJECT_ROOT
from registry.errors import BadRequest
from registry.evidence.report import ClauseChange, EvidenceReport
from registry.ledger.refs import iso
from registry.proposals.counted import SignedApproval
from registry.proposals.merged_models import DismissedVeto

FORMATS = ("html", "json", "csv")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json",
               "csv": "text/csv; charset=utf-8"}
# (kind, key) -> URL or None: how the HTML links clause ids, proposals and prompts (None: plain text).
LinkFn = Callable[[str, str], str | None]

CSV_COLUMNS = ("record", "seq", "commit", "date", "author", "author_email", "subject", "clause_id", "title",
               "document", "changes", "unapproved", "proposal_id", "proposal_title", "proposer",
               "proposer_email", "rationale", "approvers", "owners", "prompts", "governance_files", "key", "value",
               "checks", "dismissals")
# A spreadsheet runs a cell starting with these as a formula; user-written text must never do that.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_format(fmt: str | None) -> str:
    """The format name, or BadRequest naming the ones there are."""
    if fmt not in FORMATS:
        raise BadRequest(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


def render(report: EvidenceReport, fmt: str, links: LinkFn | None = None) -> str:
    """The report in one of FORMATS."""
    fmt = check_format(fmt)
    if fmt == "json":
        return render_json(report)
    return render_csv(report) if fmt == "csv" else render_html(report, links)


def render_json(report: EvidenceReport) -> str:
    """The JSON export: `report.as_dict()`, indented."""
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


# --- CSV -------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _lines(items: list[str]) -> str:
    """A multi-valued cell: one value per line."""
    return "\n".join(items)


def approver_text(a: SignedApproval) -> str:
    """`Name <email>; time; meaning`, as in the merge commit's Approved-by trailer."""
    return f"{a.name} <{a.email}>; {a.time}; {a.meaning}"


def ack_text(a: AcknowledgementView) -> str:
    """`Name <email>; time; reason` of an acknowledgement."""
    return f"{a.name} <{a.email}>; {iso(a.at)}; {a.reason}"


def dismissal_text(d: DismissedVeto) -> str:
    """`Vetoer <email>: comment; dismissed by Name <email>; time; reason`, on one line."""
    by = f"{d.by.name} <{d.by.email}>" if d.by else ""
    return (f"{d.vetoer.name} <{d.vetoer.email}>: {' '.join(d.comment.split())}; dismissed by {by}; {iso(d.at)}; "
            + " ".join((d.reason or "").split()))


def _change_row(c: ClauseChange) -> dict[str, Any]:
    p = c.proposal
    return {"record": "change", "seq": c.seq, "commit": c.commit, "date": iso(c.date), "author": c.author,
            "author_email": c.author_email, "subject": c.subject, "clause_id": c.id, "title": c.title,
            "document": c.document, "changes": _lines(c.changes), "unapproved": "yes" if c.unapproved else "no",
            "proposal_id": p.id if p else None, "proposal_title": p.title if p else None,
            "proposer": p.proposer.name if p else None, "proposer_email": p.proposer.email if p else None,
            "rationale": p.rationale if p else None,
            "approvers": _lines([approver_text(a) for a in c.approvers]),
            "owners": _lines([f"{o.name} <{o.email}>" for o in c.owners]), "prompts": _lines(c.prompts),
            "checks": _lines(list(p.checks) if p else []),
            "dismissals": _lines([dismissal_text(d) for d in p.dismissals] if p else [])}


def _meta_rows(report: EvidenceReport) -> Iterator[dict[str, Any]]:
    r = report.range
    pairs: list[tuple[str, Any]] = [
        ("report", "evidence"), ("range", r.label), ("release", r.release),
        ("from_ref", r.start.ref if r.start else None), ("from_commit", r.start.commit if r.start else None),
        ("from_date", iso(r.start.date) if r.start else None), ("to_ref", r.end.ref),
        ("to_commit", r.end.commit), ("to_date", iso(r.end.date)), ("generated_at", iso(report.generated_at)),
        ("repo_branch", report.repo["branch"]), ("repo_head", report.repo["head"]),
        ("audit_head", f"{report.audit_head[0]}:{report.audit_head[1]}"),
        ("verify", "ok" if not report.findings else "failed"),
        ("governance_start", report.governance.ref), ("governance_commit", report.governance.commit),
    ] + [(f"count_{k}", v) for k, v in report.counts.items()]
    for key, value in pairs:
        yield {"record": "meta", "key": key, "value": value}


def _other_rows(report: EvidenceReport) -> Iterator[dict[str, Any]]:
    for u in report.unapproved:
        yield {"record": "unapproved", "seq": u.seq, "commit": u.commit, "date": iso(u.date), "author": u.author,
               "author_email": u.author_email, "subject": u.subject, "clause_id": _lines(u.clauses),
               "document": _lines(u.unreadable), "governance_files": _lines(u.governance_files),
               "value": _lines([ack_text(a) for a in u.acknowledgements])}
    for w in report.rewrites:
        yield {"record": "rewrite", "seq": w.seq, "commit": w.old_head, "date": iso(w.detected_at),
               "subject": f"history rewritten: {w.old_head} replaced by {w.new_head} (fork {w.fork or 'none'})",
               "clause_id": _lines([c.commit for c in w.set_aside]),
               "value": _lines([ack_text(a) for a in w.acknowledgements])}
    for j in report.rejections:
        yield {"record": "rejection", "date": iso(j.at), "clause_id": _lines(list(j.clauses)), "proposal_id": j.id,
               "proposal_title": j.title, "proposer": j.proposer.name, "proposer_email": j.proposer.email,
               "value": f"{j.by.name} <{j.by.email}>; {iso(j.at)}; {j.reason}"}
    for bare in report.unowned.clauses:
        yield {"record": "unowned", "clause_id": bare.id, "title": bare.title, "document": bare.document}
    missing = {v.id: ps for v, ps in report.coverage.broken}
    for v, ps in report.coverage.covered:
        yield {"record": "coverage", "clause_id": v.id, "title": v.title, "document": v.document, "key": "covered",
               "prompts": _lines([p.name for p in ps]), "value": _lines([p.path for p in missing.get(v.id, [])])}
    for v in report.coverage.uncovered:
        yield {"record": "coverage", "clause_id": v.id, "title": v.title, "document": v.document,
               "key": "uncovered", "value": _lines([p.path for p in missing.get(v.id, [])])}
    yield from _framework_rows(report)
    for f in report.findings:
        yield {"record": "finding", "key": f.check, "subject": f.where, "value": f.message}


def _framework_rows(report: EvidenceReport) -> Iterator[dict[str, Any]]:
    """A `framework` row per framework (its clauses answering none), a `framework_item` row per item."""
    for f in report.frameworks:
        yield {"record": "framework", "key": f.framework, "title": f.title, "clause_id": _lines(f.unmapped_clauses),
               "value": "unmapped clauses"}
        for i in f.items:
            yield {"record": "framework_item", "key": f"{f.framework}:{i.id}", "title": i.title,
                   "clause_id": _lines(i.clauses), "value": "covered" if i.clauses else "uncovered"}


def render_csv(report: EvidenceReport) -> str:
    """Meta rows, one row per clause change (record `change`), then unapproved, rewrite, rejection, unowned,
    coverage, framework and framework_item, finding."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    rows = [*_meta_rows(report), *(_change_row(c) for c in report.changes), *_other_rows(report)]
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in CSV_COLUMNS})
    return out.getvalue()


# --- HTML ------------------------------------------------------------------------------------

def _when(moment: datetime | str | None) -> Markup:
    """A <time>: minute precision for reading, ISO in the attribute."""
    if moment is None:
        return Markup("")
    value = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    return Markup('<time datetime="{}">{}</time>').format(iso(value), value.strftime("%Y-%m-%d %H:%M UTC"))


_ENV = Environment(loader=FileSystemLoader(PROJECT_ROOT / "templates" / "report"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["when"] = _when
_ENV.filters["short"] = lambda sha: (sha or "")[:12]
_ENV.filters["ack"] = ack_text


def _context(report: EvidenceReport, links: LinkFn | None) -> dict[str, Any]:
    return {"r": report, "counts": report.counts, "href": links or (lambda kind, key: None)}


def render_html(report: EvidenceReport, links: LinkFn | None = None) -> str:
    """A whole printable HTML document (inline styles, no scripts, no navigation)."""
    return _ENV.get_template("document.html").render(_context(report, links))


def render_html_body(report: EvidenceReport, links: LinkFn | None = None) -> Markup:
    """Just the report's body, for a page that has its own layout around it."""
    return Markup(_ENV.get_template("_body.html").render(_context(report, links)))


def report_css() -> Markup:
    """The report's stylesheet (screen and print), for pages that embed the body."""
    return Markup(_ENV.get_template("report.css").render())
