"""The schema comes from the migrations, and the models agree with them."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from registry.db import make_engine
from registry.schema import _config, head_revision, upgrade


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
