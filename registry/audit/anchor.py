"""Use cases: anchor the audit chain's head in the spec repo, and check the chain against those anchors.

An anchor is a commit on `refs/specreg/audit` (never a branch: nobody checks it out and no ingest
reads it) whose trailers record the head event's seq and hash, its MAC under the audit key and the
key epoch; each anchor's parent is the one before, so the ref keeps every anchor. `specreg audit
anchor` writes one on a schedule (cron) and every merge writes one first. Whoever can write the
database cannot move the ref without the spec repo's credentials, nor compute a MAC without the
audit key: a rehashed or edited tail no longer matches the anchors' hashes and MACs, and a tail cut
off before an anchored event is named too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from registry.audit.events import Finding, head, key_epoch, parse_anchor, verify_anchors
from registry.audit.keys import AuditKey
from registry.errors import Conflict
from registry.gitsource import SpecSource, trailers
from registry.gitsource.remote import fetch_ref, push_ref
from registry.gitsource.writer import NewCommit, Person, Write, commit_onto, compare_and_swap
from registry.models import AuditEvent, utcnow

ANCHOR_REF = "refs/specreg/audit"
ANCHORER = Person("Specreg", "specreg@localhost")
MAC, EPOCH = "Audit-MAC", "Audit-Key-Epoch"
REMOTE_ANCHOR_REF = "refs/specreg/remote/audit"  # with a remote: its anchors as this clone last fetched them
ATTEMPTS = 5  # compare-and-swap tries while other processes (or hosts) anchor at the same moment


@dataclass(frozen=True)
class Anchor:
    """One anchor commit: the head it records, with the head's MAC and the key epoch (None before the key)."""

    commit: str
    seq: int
    hash: str
    mac: str | None
    epoch: int | None

    def as_dict(self) -> dict[str, object]:
        """{"ref", "commit", "seq", "hash", "mac", "key_epoch"}."""
        return {"ref": ANCHOR_REF, "commit": self.commit, "seq": self.seq, "hash": self.hash, "mac": self.mac,
                "key_epoch": self.epoch}


def _one(message: str, key: str) -> str | None:
    found = trailers.values(message, key)
    return found[0] if len(found) == 1 else None


def _parse(sha: str, message: str) -> Anchor | None:
    """The anchor a commit on the ref records, or None when its message is not one."""
    parsed = parse_anchor(_one(message, trailers.AUDIT_HEAD) or "")
    mac, epoch = _one(message, MAC), _one(message, EPOCH)
    if parsed is None or mac is None or epoch is None or not (epoch == "none" or epoch.isdigit()):
        return None
    return Anchor(sha, parsed[0], parsed[1], None if mac == "none" else mac, None if epoch == "none" else int(epoch))


def read_anchors(source: SpecSource) -> tuple[list[Anchor], list[Finding]]:
    """Every anchor on the ref and on the remote's (as last fetched), each once, newest first, and a finding
    for each commit there that is not one."""
    anchors, bad = [], []
    found = source.ref_messages(ANCHOR_REF, every_parent=True) + source.ref_messages(REMOTE_ANCHOR_REF, every_parent=True)
    for sha, message in dict(found).items():
        anchor = _parse(sha, message)
        if anchor is None:
            bad.append(Finding("anchor", f"{ANCHOR_REF} commit {sha[:12]}", "is not an audit anchor (malformed)"))
        else:
            anchors.append(anchor)
    return anchors, bad


def _message(seq: int, digest: str, mac: str | None, epoch: int | None) -> str:
    return trailers.commit_message(f"Audit anchor: event {seq}", "", [
        (trailers.AUDIT_HEAD, f"{seq}:{digest}"), (MAC, mac or "none"), (EPOCH, str(epoch) if epoch else "none")])


def _tip(source: SpecSource, ref: str) -> tuple[str, Anchor | None] | None:
    """The commit a ref points at and the anchor it records (None when malformed); None without the ref."""
    found = next(iter(source.ref_messages(ref)), None)
    return (found[0], _parse(*found)) if found else None


def _base(source: SpecSource, local: str | None, shared: str | None) -> tuple[str | None, str | None]:
    """(parent, second parent) of the next anchor: the ref that holds the other, or the remote's with this
    clone's as a second parent when the two went apart (nothing is ever dropped from the chain)."""
    if shared is None or (local is not None and source.is_ancestor(shared, local)):
        return local, None
    if local is None or source.is_ancestor(local, shared):
        return shared, None
    return shared, local


def anchor_head(session: Session, repo: str | Path, at: tuple[int, str] | None = None,
                remote: str | None = None) -> tuple[Anchor | None, bool]:
    """Anchor the chain's head (`at`: a head read earlier in this transaction) on the ref.

    Returns the newest anchor and whether this call wrote it: nothing is written for an empty chain,
    or when the ref already anchors this event or a later one. With `remote` (`repo` its clone) the
    remote's ref is fetched first and the anchors pushed there with an ordinary push, never forced:
    several hosts share one chain, so each anchor descends from the remote's newest (and from this
    clone's, should they differ), and a push refused because another host anchored meanwhile fetches
    and tries again.
    """
    seq, digest = at or head(session)
    if seq == 0:
        return None, False
    event = session.get_one(AuditEvent, seq)
    epoch = key_epoch(session)
    for _ in range(ATTEMPTS):
        if remote is not None:
            fetch_ref(Path(repo), remote, ANCHOR_REF, REMOTE_ANCHOR_REF)
        with SpecSource(repo) as source:
            local = _tip(source, ANCHOR_REF)
            shared = _tip(source, REMOTE_ANCHOR_REF) if remote is not None else None
            parent, second = _base(source, local and local[0], shared and shared[0])
        latest = next((t[1] for t in (local, shared) if t and t[0] == parent), None)
        if second is None and latest is not None and latest.seq >= seq:
            sha = latest.commit
            written = False
        else:
            now = utcnow()
            record = json.dumps({"seq": seq, "hash": digest, "mac": event.mac, "key_epoch": epoch,
                                 "anchored_at": now.isoformat()}, indent=2) + "\n"
            sha = commit_onto(repo, parent, NewCommit(
                branch="", author=ANCHORER, date=now, message=_message(seq, digest, event.mac, epoch),
                ops=[Write("audit-head.json", record.encode())], merge=second))
            latest, written = Anchor(sha, seq, digest, event.mac, epoch), True
        if sha != (local and local[0]) and \
                not compare_and_swap(repo, ANCHOR_REF, sha, local and local[0], "specreg audit anchor"):
            continue
        if remote is None or sha == (shared and shared[0]) or push_ref(Path(repo), remote, sha, ANCHOR_REF).accepted:
            return latest, written
    raise Conflict(f"{ANCHOR_REF} kept moving while anchoring the audit head; try again")


def verify_anchor_ref(session: Session, source: SpecSource, key: AuditKey | None) -> list[Finding]:
    """Every anchor on the ref against the chain: the event, its hash, its MAC and the key epoch."""
    anchors, findings = read_anchors(source)
    findings += verify_anchors(session, [(a.commit, a.seq, a.hash) for a in anchors])
    epoch = key_epoch(session)
    for a in anchors:
        where = f"{ANCHOR_REF} commit {a.commit[:12]} (event {a.seq})"
        event = session.get(AuditEvent, a.seq)
        if a.mac is not None and event is not None and event.mac != a.mac:
            findings.append(Finding("anchor", where, f"event {a.seq}'s MAC is not the anchored MAC: the chain "
                                                     "was rewritten after it was anchored"))
        if a.mac is not None and key is not None and not key.matches(a.seq, a.hash, a.mac):
            findings.append(Finding("anchor", where, f"the anchored MAC is not the audit key's MAC of the anchored "
                                                     f"head: the anchor was forged, or the key ({key.source}) changed"))
        if a.epoch is not None and a.epoch != epoch:
            findings.append(Finding("anchor", where, f"the anchor recorded the key epoch at event {a.epoch}, the "
                                                     f"chain has it at {epoch or 'no event'}: events were rewritten "
                                                     "without their MACs"))
    return findings
