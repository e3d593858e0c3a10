"""verify's `text` check: a clause version's id, title, attributes, text or hash edited with SQL is named."""
from __future__ import annotations

import hashlib
import subprocess

import pytest
from sqlalchemy import text

from registry.db import make_engine

A = """# Rules {#rules}

Intro.

## Be honest {#be_honest authority=root}

Never state what you believe to be false.

## Same {#same}

First of two.

## Same {#same}

Second of two (the parser suffixes its id).

r[rule.marker]
A rule block with a marker.
"""
B = "\ufeff# Style {#style}\r\n\r\nPrefer short answers.\r\n\r\n## Tone\r\n\r\nBe kind.\r\n"


@pytest.fixture
def ingested(repo, json_cli, database_url):
    """A history with edits, a merge, a rename, an id duplicated across documents and a rewrite; (run, engine)."""
    repo.commit("rules", {"spec/a.md": A, "spec/b.md": B})
    repo.commit("edit", {"spec/a.md": A.replace("to be false", "to be untrue")})
    assert json_cli("ingest")[0] == 0
    fork = repo.head()
    repo.commit("side", {"spec/b.md": B.replace("Be kind.", "Be kind and calm.")}, branch="side", start=fork)
    repo.commit("merge side", merge="side")
    repo.commit("rename", renames={"spec/b.md": "spec/c.md"})
    keep = repo.head()
    repo.commit("away", {"spec/a.md": A.replace("Intro.", "Intro, soon rewritten away.")})
    assert json_cli("ingest")[0] == 0
    repo.reset(keep)
    repo.commit("dup", {"spec/d.md": "# Other {#be_honest}\n\nA duplicate of an id in a.md.\n"})
    repo.commit("retitle", {"spec/c.md": B.replace("## Tone", "## Voice {#style.tone}")})
    assert json_cli("ingest")[0] == 0
    engine = make_engine(database_url)
    yield json_cli, engine
    engine.dispose()


def sql(engine, *statements: str) -> None:
    """Write the database behind the registry's back."""
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def text_findings(run) -> tuple[int, list[dict]]:
    code, data = run("verify")
    return code, [f for f in data["findings"] if f["check"] == "text"]


def newest(key: str) -> str:
    return f"(SELECT max(id) FROM clause_versions WHERE key = '{key}' AND abandoned = false)"


def test_a_history_with_merges_renames_duplicates_and_a_rewrite_verifies(ingested):
    run, engine = ingested
    with engine.connect() as conn:  # the history holds what this test means it to
        keys = set(conn.execute(text("SELECT key FROM clause_versions WHERE abandoned = false")).scalars())
        set_aside = conn.execute(text("SELECT count(*) FROM clause_versions WHERE abandoned = true")).scalar()
    assert {"be_honest~2", "same~2", "rule.marker", "style.tone"} <= keys and set_aside
    assert run("verify") == (0, {"ok": True, "findings": []})


@pytest.mark.parametrize(("statement", "where", "key"), [
    ("UPDATE clause_versions SET body = 'Always state what you believe to be false.' WHERE id = {v}",
     "clause_versions.body", "be_honest"),
    ("UPDATE clause_versions SET title = 'Be agreeable' WHERE id = {v}", "clause_versions.title", "be_honest"),
    # the hash made to match the forged text: the text is still not git's
    (f"UPDATE clause_versions SET body = 'Be long.', body_hash = '{hashlib.sha256(b'Be long.').hexdigest()}' "
     "WHERE id = {v}",
     "clause_versions.body", "style"),
    ("UPDATE clause_versions SET body_hash = 'ffff' WHERE id = {v}", "clause_versions.body_hash", "rule.marker"),
    ("UPDATE clause_versions SET attributes = '{{\"authority\": \"user\"}}' WHERE id = {v}",
     "clause_versions.attributes", "be_honest"),
    ("UPDATE clause_versions SET key = 'be_candid' WHERE id = {v}", "clause_versions.key", "same~2"),
    ("UPDATE clause_versions SET level = 3 WHERE id = {v}", "clause_versions.level", "be_honest"),
    # moved under another clause: the document puts be_honest under rules
    ("UPDATE clause_versions SET parent_id = (SELECT clause_id FROM clause_versions WHERE key = 'same' LIMIT 1) "
     "WHERE id = {v}", "clause_versions.parent_id", "be_honest"),
    # a removal forged over a version: the document still has the id at that commit
    ("UPDATE clause_versions SET removed = true WHERE id = {v}", "clause_versions.removed", "be_honest"),
    # a version moved to a commit that never changed its document
    ("UPDATE clause_versions SET seq = (SELECT min(seq) FROM commits) WHERE id = {v}", "clause_versions.seq",
     "be_honest~2"),
])
def test_a_version_edited_with_sql_is_named(ingested, statement, where, key):
    run, engine = ingested
    sql(engine, statement.format(v=newest(key)))
    code, found = text_findings(run)
    assert code == 1
    # (an id edited is also its children's parent's id at that commit: rule.marker sits under same~2)
    assert [f["where"] for f in found] == [where] + (["clause_versions.parent_id"] if key == "same~2" else []), found
    assert "1 clause version(s)" in found[0]["message"] and "version " in found[0]["message"]


def test_every_edited_version_is_counted_and_five_are_named(ingested):
    run, engine = ingested
    sql(engine, "UPDATE clause_versions SET body = body || ' (amended)' WHERE abandoned = false AND removed = false")
    with engine.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM clause_versions WHERE abandoned = false "
                                 "AND removed = false")).scalar()
    found = text_findings(run)[1]
    assert [f["where"] for f in found] == ["clause_versions.body"]
    assert f"{live} clause version(s)" in found[0]["message"]
    assert found[0]["message"].count("version ") == 5  # the first five, by id


def test_set_aside_and_removal_versions_are_not_read_against_git(ingested):
    run, engine = ingested
    # a rewritten-away version is not on the branch, and a removal keeps the text the clause had
    sql(engine, "UPDATE clause_versions SET body = 'anything' WHERE abandoned = true OR removed = true")
    assert text_findings(run)[1] == []  # (the search index, not rebuilt, is named by its own check)


def test_versions_an_ingest_commits_past_the_head_read_are_not_named(ingested, monkeypatch):
    """An ingest (or a merge) committing between verify's read of the head and the text check's read of
    the versions (PostgreSQL reads each statement's committed state) leaves versions past the head."""
    import registry.accountability.verify as verify_module
    from registry.models import ClauseVersion, Commit

    run, engine = ingested
    original = verify_module.check_clause_text

    def meanwhile(session, source, head, head_seq):
        commits = [c.name for c in Commit.__table__.columns if c.name not in ("seq", "sha")]
        versions = [c.name for c in ClauseVersion.__table__.columns if c.name not in ("id", "seq")]
        sql(engine,
            f"INSERT INTO commits (seq, sha, {', '.join(commits)}) SELECT seq + 1, '{'f' * 40}', "
            f"{', '.join(commits)} FROM commits WHERE seq = (SELECT max(seq) FROM commits)",
            f"INSERT INTO clause_versions (id, seq, {', '.join(versions)}) SELECT id + 1000, "
            f"(SELECT max(seq) FROM commits), {', '.join(versions)} FROM clause_versions WHERE id = {newest('be_honest')}")
        return original(session, source, head, head_seq)

    monkeypatch.setattr(verify_module, "check_clause_text", meanwhile)
    assert text_findings(run)[1] == []
    with engine.connect() as conn:  # the rows did land, after the head verify read
        assert conn.execute(text("SELECT count(*) FROM clause_versions WHERE seq > "
                                 "(SELECT head_seq FROM ledger)")).scalar() == 1


def test_a_blob_git_lost_is_named_and_every_other_check_still_runs(ingested, repo):
    run, engine = ingested
    blob = subprocess.run(["git", "-C", str(repo.path), "rev-parse", "HEAD~1:spec/d.md"], check=True,
                          capture_output=True, text=True).stdout.strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    sql(engine, f"UPDATE clause_versions SET body = 'Be rude.' WHERE id = {newest('style.tone')}")
    code, found = text_findings(run)
    assert code == 1
    assert len(found) == 2, found
    lost, forged = found
    assert lost["where"] == f"blob {blob[:12]}" and "spec/d.md" in lost["message"], lost
    assert "1 clause version(s)" in lost["message"]
    assert forged["where"] == "clause_versions.body"  # a blob read after the lost one is still compared


def test_removed_clauses_and_documents_verify(repo, json_cli, database_url):
    repo.commit("rules", {"spec/a.md": A, "spec/b.md": B})
    assert json_cli("ingest")[0] == 0
    repo.commit("cut", {"spec/a.md": A.replace("## Be honest {#be_honest authority=root}", "")
                        .replace("Never state what you believe to be false.", ""), "spec/b.md": None})
    assert json_cli("ingest")[0] == 0
    engine = make_engine(database_url)
    with engine.connect() as conn:  # the removals: one in a document that stays, two in the deleted one
        removed = conn.execute(text("SELECT document, count(*) FROM clause_versions WHERE removed = true "
                                    "GROUP BY document ORDER BY document")).all()
    engine.dispose()
    assert [tuple(r) for r in removed] == [("spec/a.md", 1), ("spec/b.md", 2)]
    assert text_findings(json_cli) == (0, [])
