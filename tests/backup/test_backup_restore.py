"""`specreg backup` and `specreg restore`: a governed world survives the round trip between SQLite and PostgreSQL."""
from __future__ import annotations

import argparse
import getpass
import hashlib
import io
import json
import re
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backup_helpers import Scratch, build_governed_world, cli, contents
from pg_scratch import BackgroundDrops
from proposal_helpers import STYLE
from repo_builder import GRACE, RepoBuilder
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from registry.backup import tables
from registry.backup.archive import DEFAULT_LIMITS, Limits, unpack
from registry.cli.backup import size
from registry.db import make_engine, session_scope
from registry.errors import BadArchive
from registry.gitsource import SpecSource
from registry.history.search import search
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve
from registry.models import Base
from registry.schema import head_revision


@pytest.fixture
def scratch(tmp_path: Path, background_drops: BackgroundDrops) -> Iterator[Scratch]:
    made = Scratch(tmp_path, background_drops)
    yield made
    made.drop()


PAIRS = [("sqlite", "postgresql"), ("postgresql", "sqlite"), ("sqlite", "sqlite"), ("postgresql", "postgresql")]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_restored_world_verifies_and_holds_every_row_of_the_original(source, target, scratch, repo, tmp_path,
                                                                       monkeypatch, capsys):
    url = scratch.url(source)
    build_governed_world(url, repo, monkeypatch, capsys)
    archive = tmp_path / "backup.tar.gz"
    code, made = cli(capsys, "backup", "-o", str(archive))
    assert code == 0, made
    assert made["schema_revision"] == head_revision() and made["tables"]["audit_events"] > 10
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    restored_url, restored_repo = scratch.url(target), tmp_path / "elsewhere" / "spec"
    monkeypatch.setenv("SPECREG_DATABASE_URL", restored_url)
    monkeypatch.setenv("SPECREG_REPO", str(restored_repo))
    code, done = cli(capsys, "restore", str(archive), "--as", "root@example.org")
    assert code == 0, done
    assert done["verify"] == {"ok": True, "findings": []}
    assert done["tables"] == made["tables"] and done["schema_revision"] == head_revision()
    restored, original = contents(restored_url), contents(url)
    # Every row of the original, and one event more: the restore itself, at the end of the chain.
    assert restored | {"audit_events": restored["audit_events"][:-1]} == original
    assert cli(capsys, "verify") == (0, {"ok": True, "findings": []})
    assert cli(capsys, "unapproved")[1][-1]["acknowledgements"][0]["reason"] == "Typo fix"
    with session_scope(make_engine(restored_url, poolclass=NullPool)) as s:
        found = s.execute(text("SELECT count(*) FROM audit_events")).scalar()
    assert found == made["tables"]["audit_events"] + 1
    event = restored["audit_events"][-1]
    assert (event["seq"], event["actor"], event["action"], event["subject"]) == (
        found, "root@example.org", "backup.restore", "database")
    assert json.loads(event["new"]) == {
        "archive": "backup.tar.gz", "manifest_sha256": hashlib.sha256(manifest_bytes(archive)).hexdigest(),
        "created_at": read_manifest(archive)["created_at"], "schema_revision": head_revision()}


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_the_restored_instance_keeps_working_and_its_audit_events_stay_append_only(target, scratch, repo, tmp_path,
                                                                                   monkeypatch, capsys):
    build_governed_world(scratch.url("sqlite"), repo, monkeypatch, capsys)
    archive = tmp_path / "backup.tar.gz"
    assert cli(capsys, "backup", "-o", str(archive))[0] == 0
    restored_url, restored_repo = scratch.url(target), tmp_path / "restored"
    monkeypatch.setenv("SPECREG_DATABASE_URL", restored_url)
    monkeypatch.setenv("SPECREG_REPO", str(restored_repo))
    assert cli(capsys, "restore", str(archive))[0] == 0
    restored_by = contents(restored_url)["audit_events"][-1]
    assert (restored_by["actor"], restored_by["action"]) == (f"os:{getpass.getuser()}", "backup.restore")

    # New rows get new ids (PostgreSQL's sequences moved past the restored ones), and a merge lands in the new repo.
    text_file = tmp_path / "lists.md"
    text_file.write_text("### Lists {#lists}\n\nUse lists when they help.\n")
    code, proposal = cli(capsys, "propose", "lists", "--file", str(text_file), "--title", "Lists", "--rationale", "Why",
                         "--as", "ada@example.org")
    assert code == 0, proposal
    number = str(proposal["id"])
    assert cli(capsys, "review", number, "--approve", "--as", "alan@example.org")[0] == 0
    code, merged = cli(capsys, "merge", number, "--as", "ada@example.org")
    assert code == 0, merged
    assert RepoBuilder(restored_repo).head() == merged["commit"]
    assert cli(capsys, "verify") == (0, {"ok": True, "findings": []})
    # The search index (SQLite's full-text table is rebuilt, PostgreSQL's column follows the rows) finds old text.
    with session_scope(make_engine(restored_url, poolclass=NullPool)) as s:
        assert [hit.id for hit in search(s, "warmer", resolve(s, None)).hits] == ["tone"]

    engine = make_engine(restored_url, poolclass=NullPool)
    for statement in ("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def manifest_bytes(archive: Path) -> bytes:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.extractfile("manifest.json").read()


def read_manifest(archive: Path) -> dict:
    return json.loads(manifest_bytes(archive))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the governed world on SQLite (tests copy it before they edit it)."""
    root = tmp_path_factory.mktemp("archive")
    with pytest.MonkeyPatch.context() as mp:
        build_governed_world(f"sqlite:///{root / 'source.db'}", RepoBuilder(root / "spec"), mp)
        assert cli(None, "backup", "-o", str(root / "backup.tar.gz"))[0] == 0
    return root / "backup.tar.gz"


def rewrite(source: Path, out: Path, edit: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None) -> Path:
    """A copy of the archive with each member passed through `edit` (None leaves it out) and members added."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(out, "w:gz") as new:
        members = [(m.name, old.extractfile(m).read()) for m in old]
        for name, data in [*members, *(add or {}).items()]:
            changed = edit(name, data)
            if changed is not None:
                info = tarfile.TarInfo(name)
                info.size = len(changed)
                new.addfile(info, io.BytesIO(changed))
    return out


def manifest_edit(change: Callable[[dict], None]) -> Callable[[str, bytes], bytes]:
    def edit(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        doc = json.loads(data)
        change(doc)
        return json.dumps(doc).encode()
    return edit


def truncated(archive: Path, out: Path) -> Path:
    out.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return out


def row_edited(archive: Path, out: Path) -> Path:
    return rewrite(archive, out, lambda n, d: d.replace(b"Never reveal", b"Always reveal") if n.endswith(
        "clause_versions.jsonl") else d)


def count_edited(archive: Path, out: Path) -> Path:
    def fewer(doc: dict) -> None:
        doc["tables"]["audit_events"]["rows"] -= 1
    return rewrite(archive, out, manifest_edit(fewer))


def member_dropped(archive: Path, out: Path) -> Path:
    return rewrite(archive, out, lambda n, d: None if n == "tables/reviews.jsonl" else d)


def member_smuggled(archive: Path, out: Path) -> Path:
    return rewrite(archive, out, lambda n, d: d, add={"../../evil.sh": b"rm -rf /"})


def newer(archive: Path, out: Path) -> Path:
    return rewrite(archive, out, manifest_edit(lambda doc: doc.update(schema_revision="9999")))


def resealed(archive: Path, out: Path) -> Path:
    """A row edited and the manifest rewritten with the edited member's sha256 and size, as someone would
    who knows the format but not the audit key."""
    with tarfile.open(archive, "r:gz") as tar:
        member = "tables/clause_versions.jsonl"
        edited = tar.extractfile(member).read().replace(b"Never reveal", b"Always reveal")

    def reseal(doc: dict) -> None:
        doc["members"][member] = {"sha256": hashlib.sha256(edited).hexdigest(), "size": len(edited)}
    edit = manifest_edit(reseal)
    return rewrite(archive, out, lambda n, d: edited if n == member else edit(n, d))


def unsigned(archive: Path, out: Path) -> Path:
    return rewrite(archive, out, lambda n, d: None if n == "manifest.hmac" else d)


def not_a_backup(archive: Path, out: Path) -> Path:
    out.write_text("hello")
    return out


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("damage", "says"), [
    (truncated, "is truncated or not a Specreg backup"),
    (not_a_backup, "is truncated or not a Specreg backup"),
    (row_edited, "tables/clause_versions.jsonl was changed or cut short after the backup"),
    (count_edited, "tables/audit_events.jsonl has"),
    (member_dropped, "is missing tables/reviews.jsonl"),
    (member_smuggled, "holds '../../evil.sh', which is no part of a Specreg backup"),
    (newer, "schema revision 9999 is newer than this Specreg"),
    (resealed, "manifest.json does not carry the audit key's signature"),
    (unsigned, "is not signed (manifest.hmac is missing) but an audit key is set here"),
])
def test_a_damaged_archive_is_refused_and_nothing_is_written(damage, says, target, archive, scratch, tmp_path,
                                                              monkeypatch):
    bad = damage(archive, tmp_path / "bad.tar.gz")
    url, repo = scratch.url(target), tmp_path / "restored"
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    code, out = cli(None, "restore", str(bad))
    assert code == 1 and out["error"] == "bad_archive" and says in out["message"], out
    assert not repo.exists() and not (tmp_path.parent / "evil.sh").exists()
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


BOMB = 64 << 20  # bytes of zeros: about 64 KB gzipped, a thousand times its size unpacked


def bomb(archive: Path, out: Path, member: str = "tables/audit_events.jsonl") -> Path:
    """The archive with one member swapped for BOMB bytes that gzip squeezes a thousandfold."""
    return rewrite(archive, out, lambda n, d: bytes(BOMB) if n == member else d)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("options", "says"), [
    (["--max-member-size", "16M"], "tables/audit_events.jsonl unpacks to more than 16777216 bytes, the most any one "
                                   "member, object or file may (--max-member-size)"),
    (["--max-size", "32M"], "unpacks to more than 33554432 bytes in all (--max-size), reaching "
                            "tables/audit_events.jsonl"),
])
def test_an_archive_that_unpacks_past_the_size_limits_is_refused_and_nothing_is_written(
        options, says, target, archive, scratch, tmp_path, monkeypatch):
    bad = bomb(archive, tmp_path / "bomb.tar.gz")
    assert bad.stat().st_size < BOMB // 100
    url, repo = scratch.url(target), tmp_path / "restored"
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    code, out = cli(None, "restore", str(bad), *options)
    assert code == 1 and out["error"] == "bad_archive" and says in out["message"], out
    assert not repo.exists()
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize(("limits", "stops_at"), [
    (Limits(total=1 << 30, member=8 << 20), "tables/audit_events.jsonl"),  # the member alone is too big
    (Limits(total=BOMB + (1 << 20), member=1 << 30), "tables/clause_versions.jsonl"),  # the second one passes the total
])
def test_unpacking_stops_before_writing_the_member_that_passes_a_limit(limits, stops_at, archive, tmp_path):
    big = bomb(archive, tmp_path / "one.tar.gz")
    bad = bomb(big, tmp_path / "two.tar.gz", "tables/clause_versions.jsonl")
    into = tmp_path / "unpacked"
    into.mkdir()
    with pytest.raises(BadArchive, match=re.escape(stops_at)):
        unpack(bad, into, limits)
    assert not (into / stops_at).exists()
    assert sum(f.stat().st_size for f in into.rglob("*") if f.is_file()) <= limits.total


def test_a_member_larger_than_the_manifest_may_be_is_refused_whatever_the_other_limits(archive, tmp_path):
    bad = rewrite(archive, tmp_path / "big-manifest.tar.gz", lambda n, d: d + b" " * (65 << 20) if n == "manifest.json" else d)
    into = tmp_path / "unpacked"
    into.mkdir()
    with pytest.raises(BadArchive, match="manifest.json unpacks to more than 67108864 bytes"):
        unpack(bad, into, Limits(total=1 << 40, member=1 << 40))


def test_sizes_on_the_command_line_take_binary_units_and_the_defaults_are_the_documented_ones():
    assert [size(t) for t in ("123", "512K", "16M", "2g", "1T")] == [123, 512 << 10, 16 << 20, 2 << 30, 1 << 40]
    for wrong in ("", "0", "-1", "1.5G", "12Q"):
        with pytest.raises(argparse.ArgumentTypeError):
            size(wrong)
    assert (DEFAULT_LIMITS.total, DEFAULT_LIMITS.member) == (size("64G"), size("32G"))


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_restore_takes_a_freshly_initialised_database_and_refuses_one_that_holds_rows(target, archive, scratch,
                                                                                      tmp_path, monkeypatch):
    url = scratch.url(target)
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "first"))
    assert cli(None, "init")[0] == 0  # an empty schema at the archive's revision is still an empty database
    code, done = cli(None, "restore", str(archive))
    assert code == 0, done

    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "second"))
    code, out = cli(None, "restore", str(archive))
    assert code == 1 and out["error"] == "not_empty", out
    assert "the database is not empty: " in out["message"] and "audit_events (" in out["message"]
    assert not (tmp_path / "second").exists()
    assert contents(url)["audit_events"] and cli(None, "verify")[1]["ok"]
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert tables.count(conn, next(t for t in tables.reflect(conn) if t.name == "reviews")) == done["tables"]["reviews"]
    engine.dispose()


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_restore_as_someone_with_no_account_in_the_archive_is_refused_and_writes_nothing(target, archive, scratch,
                                                                                          tmp_path, monkeypatch):
    url, repo = scratch.url(target), tmp_path / "restored"
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    code, out = cli(None, "restore", str(archive), "--as", "mallory@example.org")
    assert code == 1 and out["error"] == "unknown_user" and "mallory@example.org" in out["message"], out
    assert not repo.exists()
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # the schema's DDL and the rows roll back together
    engine.dispose()


def test_restore_refuses_a_spec_repo_folder_that_is_not_empty(archive, scratch, tmp_path, monkeypatch):
    url, repo = scratch.url("sqlite"), tmp_path / "taken"
    (repo / "notes").mkdir(parents=True)
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    code, out = cli(None, "restore", str(archive))
    assert code == 1 and out["error"] == "not_empty" and f"the spec repo folder {repo} is not empty" in out["message"]
    assert [p.name for p in repo.iterdir()] == ["notes"]
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize("key", [None, "another-audit-key-0123456789abcdef0123456789abcdef"])
def test_restore_refuses_without_the_audit_key_that_macs_the_archive_naming_its_fingerprint(key, archive, scratch,
                                                                                           tmp_path, monkeypatch):
    manifest = read_manifest(archive)
    instance = tmp_path / "instance"
    monkeypatch.setenv("SPECREG_INSTANCE", str(instance))
    if key is None:
        monkeypatch.delenv("SPECREG_AUDIT_KEY")
    else:
        monkeypatch.setenv("SPECREG_AUDIT_KEY", key)
    url, repo = scratch.url("sqlite"), tmp_path / "restored"
    monkeypatch.setenv("SPECREG_DATABASE_URL", url)
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    code, out = cli(None, "restore", str(archive))
    assert code == 1 and out["error"] == "config_error", out
    assert manifest["audit_key"]["fingerprint"] in out["message"] and str(instance / "audit_key") in out["message"]
    assert manifest["audit_key"]["source"] == "SPECREG_AUDIT_KEY"
    assert "specreg-test-audit-key" not in json.dumps(manifest)
    assert not repo.exists() and not (instance / "audit_key").exists()


def test_the_archive_holds_every_table_the_models_define(archive):
    manifest = read_manifest(archive)
    assert set(manifest["tables"]) == set(Base.metadata.tables)
    assert "refs/specreg/audit" in manifest["repo"]["refs"] and manifest["repo"]["head"] == "main"


def test_a_backup_waits_for_a_running_ingest_and_holds_what_it_committed(scratch, repo, tmp_path, monkeypatch):
    url = scratch.url("postgresql")
    build_governed_world(url, repo, monkeypatch)
    sha = repo.commit("Direct tone edit", {"spec/style.md": STYLE.replace("Be warm.", "Be warmest.")}, author=GRACE)
    out, results = tmp_path / "during.tar.gz", []
    engine = make_engine(url, poolclass=NullPool)
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)  # holds the ingest lock until this block commits
        worker = threading.Thread(target=lambda: results.append(cli(None, "backup", "-o", str(out))))
        worker.start()
        with engine.connect() as watcher:  # the backup is waiting for an advisory lock
            while not watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND wait_event = 'advisory' AND datname = current_database()")):
                assert worker.is_alive(), results
                watcher.rollback()  # pg_stat_activity is read once per transaction
                time.sleep(0.05)
    worker.join()
    engine.dispose()
    assert results[0][0] == 0, results
    with tarfile.open(out, "r:gz") as tar:
        commits = tar.extractfile("tables/commits.jsonl").read().decode()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert sha in commits and manifest["repo"]["refs"]["refs/heads/main"] == sha


def test_an_archive_of_an_older_schema_is_loaded_at_its_revision_then_upgraded(scratch, repo, tmp_path, monkeypatch):
    from alembic import command

    from registry import schema
    from registry.backup import snapshot
    from registry.schema import _config

    url = scratch.url("sqlite")
    build_governed_world(url, repo, monkeypatch)
    engine = make_engine(url, poolclass=NullPool)
    with engine.begin() as conn:  # as an older Specreg left it: before the job_requests table (revision 0018)
        command.downgrade(_config(conn), "0017")
    engine.dispose()
    for module in (snapshot, schema):  # that older Specreg's backup
        monkeypatch.setattr(module, "require_current", lambda _conn: None)
    archive = tmp_path / "old.tar.gz"
    code, made = cli(None, "backup", "-o", str(archive))
    assert code == 0 and made["schema_revision"] == "0017" and "job_requests" not in made["tables"], made

    monkeypatch.setenv("SPECREG_DATABASE_URL", scratch.url("postgresql"))
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "restored"))
    code, done = cli(None, "restore", str(archive))
    assert code == 0, done
    assert (done["archive_revision"], done["schema_revision"]) == ("0017", head_revision())
    assert done["verify"]["ok"] and done["tables"] == made["tables"]


@pytest.mark.parametrize("tar_format", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu long name", "pax header"])
def test_an_extended_tar_header_past_its_bound_is_refused_before_it_is_read_into_memory(tar_format, tmp_path):
    bad = tmp_path / "long-name.tar.gz"
    with tarfile.open(bad, mode="w:gz", format=tar_format) as tar:  # a name of 2 MiB: ~6 KB gzipped
        info = tarfile.TarInfo("tables/" + "x" * (2 << 20) + ".jsonl")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert bad.stat().st_size < 64 << 10
    into = tmp_path / "unpacked"
    into.mkdir()
    with pytest.raises(BadArchive, match="an extended tar header of [0-9]+ bytes"):
        unpack(bad, into)
    assert list(into.iterdir()) == []
