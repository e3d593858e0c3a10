"""The schema comes from the migrations, and the models agree with them."""
from __future__ import annotations

from datetime import UTC

import pytest
from alembic import command
from sqlalchemy import inspect

from registry.db import make_engine
from registry.schema import _config, head_revision, sqlite_foreign_keys_off, upgrade


def test_migrations_build_a_schema_the_models_agree_with(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        command.check(_config(conn))  # raises when autogenerate would find a difference
    engine.dispose()


def test_upgrade_is_idempotent_and_reports_the_revision(database_url):
    engine = make_engine(database_url)
    assert upgrade(engine) == (head_revision(), head_revision())
    assert "clause_versions" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_head_revision_read_from_files_matches_alembic():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(_config()).get_heads() == [head_revision()]


def test_migration_0008_makes_account_holders_active_while_their_account_is_enabled(database_url):
    from datetime import datetime

    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from registry.models import Account, Person

    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0007")
    with Session(engine) as s, s.begin():  # the state an OWNERS.toml change left before the fix
        for email, active, disabled in (("root@example.org", False, None), ("gone@example.org", True, True),
                                        ("file@example.org", False, None)):
            s.add(person := Person(email=email, name=email, active=active))
            s.flush()
            if email != "file@example.org":  # file@ has no account: OWNERS.toml decides for them
                # Only the columns 0007 has (the model has grown since).
                s.execute(insert(Account).values(person_id=person.id, role="admin",
                                                 disabled_at=datetime.now(UTC) if disabled else None))
    upgrade(engine)
    with Session(engine) as s:
        assert dict(s.execute(select(Person.email, Person.active).order_by(Person.id)).all()) == {
            "root@example.org": True, "gone@example.org": False, "file@example.org": False}
    engine.dispose()


@pytest.mark.parametrize("how", ["specreg init", "alembic upgrade"])
def test_migration_0010_keeps_ingested_history_and_then_takes_a_restored_commit_again(database_url, tmp_path, how):
    from repo_builder import RepoBuilder
    from sqlalchemy import func, select

    from registry.db import session_scope
    from registry.gitsource import SpecSource
    from registry.ledger.ingest import ingest
    from registry.models import Commit

    engine = make_engine(database_url)
    repo = RepoBuilder(tmp_path / "spec")
    first = repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne.\n"})
    second = repo.commit("two", {"spec/a.md": "# A {#a}\n\nTwo.\n"})
    # Ingested by today's code (it writes today's schema), then taken back to 0009 with its rows: rows in
    # commits that clause versions refer to, so SQLite must rebuild the table on the way up.
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)
    with engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():  # as upgrade() runs them
        command.downgrade(_config(conn), "0009")
    if how == "specreg init":
        assert upgrade(engine) == ("0009", head_revision())
    else:  # what the `alembic` command line does: env.py makes its own engine from the URL
        cfg = _config()
        cfg.set_main_option("sqlalchemy.url", database_url)
        command.upgrade(cfg, "head")
        assert upgrade(engine) == (head_revision(), head_revision())
    for head in (first, second):
        repo.reset(head)
        with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
            ingest(s, source)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commit).where(Commit.sha == second)) == 2
    engine.dispose()


def test_migration_0017_reads_each_policy_start_and_fills_in_governance_files_ingested_before_0014(database_url,
                                                                                                     tmp_path):
    from repo_builder import RepoBuilder
    from sqlalchemy import delete, select

    from registry.db import session_scope
    from registry.gitsource import SpecSource
    from registry.ledger.ingest import ingest
    from registry.models import GovernanceFileVersion, PolicyVersion

    engine = make_engine(database_url)
    repo = RepoBuilder(tmp_path / "spec")
    repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne.\n", "OWNERS.toml": '[owners]\n"a" = ["ada@example.org"]\n',
                        "specreg.toml": 'include = ["spec/**/*.md"]\n'})
    repo.commit("two", {"policy.toml": '[governance]\nstart = "v1"\n', "notes.txt": "x\n"})
    repo.commit("three", {"policy.toml": "[governance]\nstart = 5\n"})  # invalid: no start read from it
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)

    def recorded() -> tuple[list[tuple[int, str]], list[str | None]]:
        with session_scope(engine) as s:
            return ([(seq, path) for seq, path in s.execute(
                        select(GovernanceFileVersion.seq, GovernanceFileVersion.path)
                        .order_by(GovernanceFileVersion.seq, GovernanceFileVersion.path))],
                    list(s.scalars(select(PolicyVersion.governance_start).order_by(PolicyVersion.seq))))

    assert recorded() == ([(1, "OWNERS.toml"), (1, "specreg.toml"), (2, "policy.toml"), (3, "policy.toml")],
                          ["v1", None])
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0016")
    with session_scope(engine, write=True) as s:  # as a database ingested before 0014 holds it
        s.execute(delete(GovernanceFileVersion))
    assert upgrade(engine) == ("0016", head_revision())
    # specreg.toml was not recorded before 0014, so its earlier changes cannot come back
    assert recorded() == ([(1, "OWNERS.toml"), (2, "policy.toml"), (3, "policy.toml")], ["v1", None])
    engine.dispose()


def test_migration_0022_gives_every_existing_token_full_rights(database_url):
    from datetime import datetime

    import sqlalchemy as sa
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from registry.models import ApiToken, Person

    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0021")
    with Session(engine) as s, s.begin():
        s.add(person := Person(email="ci@example.org", name="CI", active=True))
        s.flush()
        # A table of 0021's columns only (the model has grown since).
        old = sa.table("api_tokens", *(sa.column(c) for c in ("person_id", "token_hash", "prefix", "name",
                                                               "created_at")))
        s.execute(insert(old).values(person_id=person.id, token_hash="0" * 64, prefix="srg_old", name="",
                                     created_at=datetime(2026, 1, 1)))
    assert upgrade(engine) == ("0021", head_revision())
    with Session(engine) as s:
        assert s.scalars(select(ApiToken.scope)).all() == ["full"]
    engine.dispose()


@pytest.mark.parametrize("server", [None, (12, 22)], ids=["this-server", "postgresql-12-without-drop-expression"])
def test_migration_0027_keeps_every_search_vector_and_downgrading_generates_them_again(database_url, tmp_path, server):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps its FTS5 table")
    from repo_builder import RepoBuilder
    from sqlalchemy import text

    from registry.db import session_scope
    from registry.gitsource import SpecSource
    from registry.history.search_index import PG_VECTOR
    from registry.ledger.ingest import ingest

    generated = text("SELECT attgenerated FROM pg_attribute WHERE attrelid = 'clause_versions'::regclass "
                     "AND attname = 'search_vector'")
    unfilled = text(f"SELECT count(*) FROM clause_versions WHERE search_vector IS DISTINCT FROM ({PG_VECTOR})")
    engine = make_engine(database_url)
    repo = RepoBuilder(tmp_path / "spec")
    repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne rule.\n\n## B {#b}\n\nAnother.\n"})
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0026")
    with engine.connect() as conn:
        assert (conn.scalar(generated), conn.scalar(unfilled)) == ("s", 0)  # generated, stored
    if server is not None:  # the revision's other way, for a server that cannot DROP EXPRESSION
        engine.dialect.server_version_info = server
    assert upgrade(engine) == ("0026", head_revision())
    with engine.connect() as conn:
        assert (conn.scalar(generated), conn.scalar(unfilled)) == ("", 0)  # plain, every value kept
    engine.dispose()
