"""The terminal rendering of `specreg proposal N` (the JSON is the detail's `as_dict()`)."""
from __future__ import annotations

from registry.ledger.refs import iso
from registry.limits import shorten
from registry.proposals.list_models import ProposalSummary
from registry.proposals.read_models import ProposalDetail


def summary_line(r: ProposalSummary) -> str:
    """One `specreg proposals` row: number, state, title, clauses, proposer, approvals have/need, veto, waiting on."""
    facts = [f"approvals {r.approvals.have}/{r.approvals.need}"] + (["vetoed"] if r.vetoed else [])
    if r.waiting_on:
        facts.append("waiting on " + ", ".join(r.waiting_on))
    return (f"#{r.id:<4} {r.state:<10} {shorten(r.title)}  ({', '.join(r.clauses)}; {r.proposer.name})  "
            + "; ".join(facts))


def _unrecorded(why: str | None) -> str:
    """The mark of a review or check report the audit chain does not back (empty when it does)."""
    return "" if why is None else f" (NOT IN THE AUDIT RECORD, counts for nothing: {why})"


def detail_text(d: ProposalDetail) -> str:
    """Header, rationale, the current revision's clauses, reviews, comments, the timeline and policy status."""
    lines = [f"#{d.id} {d.title}  [{d.state}]",
             f"proposed by {d.proposer.name} <{d.proposer.email}> on {iso(d.created_at)}; "
             f"revision {d.revision} of {len(d.revisions)}"]
    if d.merge:
        lines.append(f"merged as {d.merge.commit} on {iso(d.merge.at)}")
    if d.closed_reason:
        lines.append(f"reason: {d.closed_reason}")
    lines += ["", d.rationale, ""]
    for ch in d.current.changes:
        lines.append(f"new {ch.id} (a governance file, replaced whole)" if ch.kind == "file"
                     else f"{ch.kind} {ch.id} in {ch.document} ({ch.change_class})")
        if ch.text:
            lines += ["    " + line for line in ch.text.rstrip("\n").split("\n")]
    lines.append("")
    for r in d.reviews:
        status = "" if r.pending else (" (withdrawn)" if r.withdrawn_at else " (dismissed)")
        stale = " (stale)" if r.stale else ""
        lines.append(f"review {r.id}: {r.printed_name} {iso(r.time)} r{r.revision}: {r.meaning}"
                     f"{stale}{status}{_unrecorded(r.unrecorded)}" + (f" - {r.comment}" if r.comment else ""))
    for c in d.comments:
        lines.append(f"comment by {c.author.name} {iso(c.time)}: {c.text}")
    for k in d.checks:
        lines.append(f"check {k.name}: {k.status} on r{k.revision} {iso(k.time)}" + (f" {k.url}" if k.url else "")
                     + _unrecorded(k.unrecorded) + (f" - {k.summary}" if k.summary else ""))
    if d.timeline:
        lines += ["", "timeline:"] + [f"  {iso(e.time)} {e.action} by {e.actor.name} <{e.actor.email}>"
                                      + (f": {e.detail}" if e.detail else "") for e in d.timeline]
    policy = d.policy
    lines.append("")
    lines.append("policy: satisfied" if policy.satisfied else "policy: not satisfied")
    lines += [f"  - {m}" for m in policy.missing] + [f"  note: {n}" for n in policy.notes]
    lines += [f"  drift: {m}" for m in d.drift]
    return "\n".join(lines)
