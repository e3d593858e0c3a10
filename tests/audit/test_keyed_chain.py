"""The keyed, anchored audit chain: MACs under a key outside the database, and the head anchored on refs/specreg/audit."""
from __future__ import annotations

import json
import os
import stat

import pytest
from audit_helpers import rechain, tamper
from sqlalchemy import func, select

from registry.audit import events as audit
from registry.audit.anchor import ANCHOR_REF
from registry.audit.keys import KEY_FILE, current_key, load_key
from registry.cli import main
from registry.db import make_engine, session_scope
from registry.errors import ConfigError
from registry.gitsource import SpecSource, trailers
from registry.models import AuditEvent, utcnow

DOC = "# Rules {#rules}\n\nIntro.\n"


@pytest.fixture
def chain(repo, database_url, monkeypatch):
    """An ingested repo and six events: ingest's, then five comments; nothing anchored."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    repo.commit("one", {"spec/a.md": DOC})
    assert main(["ingest", "--json"]) == 0
    engine = make_engine(database_url)
    record(engine, 5)
    yield engine
    engine.dispose()


def record(engine, n: int) -> None:
    with session_scope(engine, write=True) as s:
        for i in range(n):
            audit.record(s, "ada@example.org", "proposal.comment", f"proposal:{i}", new={"text": f"comment {i}"})


def verify_json(capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def says(data: dict, check: str, where: str, message: str) -> bool:
    return any(f["check"] == check and where in f["where"] and message in f["message"] for f in data["findings"])


def anchor_json(capsys) -> dict:
    capsys.readouterr()
    assert main(["audit", "anchor", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_event_carries_the_mac_of_its_seq_and_hash_under_the_audit_key(session):
    event = audit.record(session, "ada@example.org", "user.create", "user:ada@example.org", new={"role": "admin"})
    assert event.mac == current_key().mac(event.seq, event.hash) and len(event.mac) == 64
    assert audit.verify_chain(session) == []


def test_a_tail_edited_and_rehashed_without_the_key_fails_verify_at_each_rehashed_event(chain, capsys):
    # The events after the last anchor were the unprotected tail: the triggers dropped, one edited, every hash redone.
    tamper(chain, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 5")
    rechain(chain)
    code, data = verify_json(capsys)
    assert code == 1
    assert {f["where"] for f in data["findings"]} == {"event 5", "event 6"}, data
    assert all("does not match its MAC" in f["message"] for f in data["findings"])


def test_a_tail_rewritten_without_macs_is_named_as_after_the_key_epoch(chain, capsys):
    tamper(chain, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 5")
    rechain(chain, None, since=5)
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "chain", "event 5", "has no MAC, but the chain is keyed from event 1"), data


def test_events_from_before_the_key_epoch_verify_by_their_hash_alone(chain, capsys):
    tamper(chain, "UPDATE audit_events SET mac = NULL")  # as written before migration 0016 added the MACs
    record(chain, 2)
    with session_scope(chain) as s:
        assert audit.key_epoch(s) == 7
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})
    tamper(chain, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 3")
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "chain", "event 3", "edited"), data


def test_verify_with_another_key_says_the_key_is_not_the_chains(chain, capsys, monkeypatch):
    monkeypatch.setenv("SPECREG_AUDIT_KEY", "another-key-" + "9" * 40)
    code, data = verify_json(capsys)
    assert code == 1 and len(data["findings"]) == 1, data
    assert says(data, "chain", "event 1", "the audit key (SPECREG_AUDIT_KEY) is not the one the chain was written with")


def test_verify_without_any_key_says_none_is_configured_and_creates_none(chain, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SPECREG_AUDIT_KEY")
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "instance"))
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "chain", "event 1", "no audit key is configured"), data
    assert not (tmp_path / "instance" / KEY_FILE).exists()


def test_without_a_configured_key_the_first_event_creates_an_owner_only_key_file(session, monkeypatch, tmp_path):
    monkeypatch.delenv("SPECREG_AUDIT_KEY")
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "instance"))
    old = os.umask(0)  # a careless umask must not make the key readable by others
    try:
        event = audit.record(session, "ada@example.org", "user.create", "user:ada@example.org")
    finally:
        os.umask(old)
    path = tmp_path / "instance" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= 32
    assert event.mac == load_key(None, tmp_path / "instance").mac(event.seq, event.hash)
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temporary file left behind


def test_an_existing_key_file_is_used_as_it_is_and_never_replaced(tmp_path):
    path = tmp_path / KEY_FILE
    path.write_text("k" * 40 + "\n")
    path.chmod(0o600)
    assert load_key(None, tmp_path).secret == b"k" * 40
    assert path.read_text() == "k" * 40 + "\n"


@pytest.mark.parametrize(("mode", "content", "error"), [
    (0o644, "k" * 40, "readable by others"),
    (0o600, "short", "shorter than 32 characters"),
])
def test_a_key_file_readable_by_others_or_too_short_is_refused(tmp_path, mode, content, error):
    path = tmp_path / KEY_FILE
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=error):
        load_key(None, tmp_path)


def test_anchor_records_the_head_and_its_mac_on_its_own_ref_and_not_on_the_branch(chain, repo, capsys):
    with SpecSource(repo.path) as source:
        branch = source.resolve("main")
    data = anchor_json(capsys)
    with session_scope(chain) as s:
        seq, digest = audit.head(s)
        mac = s.get_one(AuditEvent, seq).mac
    assert data == {"written": True, "ref": ANCHOR_REF, "commit": data["commit"], "seq": seq, "hash": digest,
                    "mac": mac, "key_epoch": 1}
    with SpecSource(repo.path) as source:
        assert source.resolve("main") == branch
        [(sha, message)] = source.ref_messages(ANCHOR_REF)
        assert json.loads(source.read_file(sha, "audit-head.json"))["mac"] == mac
    assert sha == data["commit"] and trailers.values(message, "Audit-Head") == [f"{seq}:{digest}"]
    assert trailers.values(message, "Audit-MAC") == [mac]
    assert anchor_json(capsys)["written"] is False  # nothing new to anchor
    record(chain, 1)
    again = anchor_json(capsys)
    assert (again["written"], again["seq"]) == (True, seq + 1)
    with SpecSource(repo.path) as source:
        assert [s for s, _ in source.ref_messages(ANCHOR_REF)] == [again["commit"], sha]
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


def test_a_tail_cut_off_after_an_anchor_is_named_by_the_anchor_ref(chain, capsys):
    anchor_json(capsys)
    tamper(chain, "DELETE FROM audit_events WHERE seq >= 5")
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "anchor", "Audit-Head 6", "removed from the end"), data


def test_a_chain_rewritten_with_a_stolen_key_after_an_anchor_is_named_by_the_anchor_ref(chain, capsys):
    anchor_json(capsys)
    tamper(chain, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 3")
    rechain(chain, current_key())
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "anchor", "Audit-Head 6", "the chain was rewritten"), data
    assert says(data, "anchor", f"{ANCHOR_REF} commit", "MAC is not the anchored MAC"), data


def test_a_chain_stripped_of_its_macs_after_an_anchor_is_named_by_the_anchor_ref(chain, capsys):
    anchor_json(capsys)
    tamper(chain, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 3")
    rechain(chain, None)  # every event posing as written before the key epoch
    code, data = verify_json(capsys)
    assert code == 1 and says(data, "anchor", ANCHOR_REF, "the chain has it at no event"), data


def test_a_merge_anchors_the_head_it_names_in_audit_head_on_the_ref(repo, session, monkeypatch):
    from proposal_helpers import build_world

    from registry.proposals import reviews
    from registry.proposals.merge import merge

    world = build_world(repo, session)
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(session, world.users["grace"], n)
    sha = merge(session, repo.path, "main", world.users["ada"], n).commit
    with SpecSource(repo.path) as source:
        named = trailers.values(source.ref_messages("main")[0][1], "Audit-Head")
        [(_, message)] = source.ref_messages(ANCHOR_REF)
        assert source.ref_messages("main")[0][0] == sha
    assert trailers.values(message, "Audit-Head") == named
    seq = int(named[0].split(":")[0])
    assert trailers.values(message, "Audit-MAC") == [session.get_one(AuditEvent, seq).mac]
    assert session.scalar(select(func.max(AuditEvent.seq))) > seq  # the merge's own events come after


def test_a_key_file_this_user_cannot_read_is_a_config_error_not_a_crash(tmp_path, monkeypatch):
    path = tmp_path / KEY_FILE
    path.write_text("k" * 40)
    path.chmod(0o600)

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_text", refuse)
    with pytest.raises(ConfigError, match="cannot use the audit key file .*Permission denied"):
        load_key(None, tmp_path)


def test_anchor_on_an_empty_chain_writes_nothing_and_answers_with_every_field(repo, database_url, monkeypatch, capsys):
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    repo.commit("one", {"spec/a.md": DOC})
    assert anchor_json(capsys) == {"written": False, "ref": ANCHOR_REF, "commit": None, "seq": None, "hash": None,
                                   "mac": None, "key_epoch": None}
    with SpecSource(repo.path) as source:
        assert source.ref_messages(ANCHOR_REF) == []


def vouched_seqs(engine) -> list[int]:
    with session_scope(engine) as s:
        return [e.seq for e in audit.vouched(s, s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))]


def insert(engine, mac: str | None) -> None:
    """An event appended with SQL (the triggers allow INSERT), hash chained to the head, MAC made up or left out."""
    with session_scope(engine, write=True) as s:
        seq, prev = audit.head(s)
        at = utcnow()
        digest = audit.chain_hash(prev, audit.canonical(seq + 1, at, "mallory@example.org", "proposal.comment",
                                                        "proposal:1", None, {"text": "hi"}))
        s.add(AuditEvent(seq=seq + 1, at=at, actor="mallory@example.org", action="proposal.comment",
                         subject="proposal:1", old=None, new={"text": "hi"}, prev_hash=prev, hash=digest, mac=mac))


def legacy_then_two(engine) -> None:
    tamper(engine, "UPDATE audit_events SET mac = NULL")  # as written before migration 0016 added the MACs
    record(engine, 2)


@pytest.mark.parametrize(("attack", "left_out"), [
    (lambda engine: None, []),
    (lambda engine: tamper(engine, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 5"), [5]),
    (lambda engine: (tamper(engine, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 5"),
                     rechain(engine)), [5, 6]),
    (lambda engine: rechain(engine, None, since=5), [5, 6]),
    (lambda engine: insert(engine, "ab" * 32), [7]),
    (lambda engine: insert(engine, None), [7]),
    (legacy_then_two, []),
], ids=["untouched", "edited", "edited and rehashed", "rewritten without macs", "inserted with a made-up mac",
        "inserted with no mac", "before the key epoch"])
def test_an_event_is_vouched_for_only_when_its_hash_and_from_the_key_epoch_on_its_mac_check(chain, attack, left_out):
    attack(chain)
    with session_scope(chain) as s:
        every = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert vouched_seqs(chain) == [seq for seq in every if seq not in left_out]


def test_without_the_chains_audit_key_no_keyed_event_is_vouched_for(chain, monkeypatch):
    monkeypatch.setenv("SPECREG_AUDIT_KEY", "another-key-" + "9" * 40)
    assert vouched_seqs(chain) == []
