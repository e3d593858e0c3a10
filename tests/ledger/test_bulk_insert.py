"""bulk_insert (COPY on PostgreSQL, executemany on SQLite) stores what an INSERT of the same rows stores."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Table, insert, select

from registry.models import Clause, ClauseVersion, Commit, DocumentVersion, Team
from registry.transaction.bulk import bulk_insert

AWKWARD = "tab\there, new\nline, back\\slash, \\N, quote \" ' , nul-free unicode: é ☃ 𝄞, trailing\r"


def _commit(seq: int, when: datetime) -> dict:
    return {"seq": seq, "sha": f"{seq:040x}", "parents": "", "author_name": AWKWARD, "author_email": "a@example.org",
            "authored_at": when, "committer_name": "C", "committer_email": "c@example.org", "committed_at": when,
            "message": AWKWARD, "abandoned": False}


def _version(cid: int, seq: int, attributes: dict, parent: int | None) -> dict:
    return {"clause_id": cid, "seq": seq, "key": f"k{cid}", "title": AWKWARD, "attributes": attributes,
            "body": AWKWARD * 3, "body_hash": "0" * 64, "document": "spec/a.md", "parent_id": parent, "level": 0,
            "changes": "added", "previous_key": None, "removed": False, "abandoned": False}


def _stored(session) -> list[tuple]:
    commits = [(c.seq, c.author_name, c.authored_at, c.message) for c in session.scalars(select(Commit).order_by(Commit.seq))]
    versions = [(v.clause_id, v.title, v.attributes, v.body, v.parent_id, v.removed, v.previous_key)
                for v in session.scalars(select(ClauseVersion).order_by(ClauseVersion.id))]
    docs = [(d.path, d.clause_ids, d.deleted, d.blob_sha) for d in session.scalars(select(DocumentVersion).order_by(DocumentVersion.id))]
    return [commits, versions, docs]


def _write(session, put) -> list[tuple]:
    east = timezone(timedelta(hours=5, minutes=30))
    put(Commit, [_commit(1, datetime(2024, 1, 1, 9, 0, 0, 123456, tzinfo=UTC)), _commit(2, datetime(2024, 1, 2, 9, tzinfo=east))])
    put(Clause, [{"id": 1, "key": "k1", "first_seq": 1}, {"id": 2, "key": "k2", "first_seq": 1}])
    put(ClauseVersion, [_version(1, 1, {}, None), _version(2, 2, {"authority": "user", "note": AWKWARD}, 1)])
    put(DocumentVersion, [{"path": "spec/a.md", "seq": 1, "blob_sha": None, "clause_ids": [1, 2], "deleted": False,
                           "abandoned": False}, {"path": AWKWARD, "seq": 2, "blob_sha": "b" * 40, "clause_ids": [],
                                                 "deleted": True, "abandoned": False}])
    session.flush()
    stored = _stored(session)
    session.rollback()
    return stored


def test_bulk_insert_stores_exactly_what_an_insert_stores(session):
    session.begin_nested()
    inserted = _write(session, lambda model, rows: session.execute(insert(model), rows))
    session.begin_nested()
    copied = _write(session, lambda model, rows: bulk_insert(session, model.__table__, rows))
    assert copied == inserted
    assert copied[0][1][2] == datetime(2024, 1, 2, 3, 30, tzinfo=UTC)  # stored as UTC
    assert copied[1][1][2] == {"authority": "user", "note": AWKWARD}


def test_bulk_insert_of_no_rows_does_nothing(session):
    table: Table = Commit.__table__  # type: ignore[assignment]
    bulk_insert(session, table, [])
    assert session.scalars(select(Commit)).all() == []


def test_bulk_insert_of_rows_naming_one_column_stores_each_value(session):
    table: Table = Team.__table__  # type: ignore[assignment]
    bulk_insert(session, table, [{"name": "editors"}, {"name": "reviewers"}])
    assert sorted(session.scalars(select(Team.name))) == ["editors", "reviewers"]
