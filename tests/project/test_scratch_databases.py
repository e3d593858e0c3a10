"""The test run removes the scratch PostgreSQL databases that killed runs left behind, and only those."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from pg_scratch import SCRATCH_PREFIX, pg_admin, pg_unavailable_reason, sweep_leftover_databases
from sqlalchemy import text


def _exists(name: str) -> bool:
    with pg_admin().connect() as conn:
        return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None


def _create(name: str) -> None:
    with pg_admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def test_a_sweep_drops_databases_of_dead_processes_and_old_names_but_keeps_live_ones():
    if reason := pg_unavailable_reason():
        if os.environ.get("SPECREG_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    tag = uuid.uuid4().hex[:12]
    killed, legacy, live = f"{SCRATCH_PREFIX}{dead}_{tag}", f"{SCRATCH_PREFIX}{tag}", f"{SCRATCH_PREFIX}{os.getpid()}_{tag}"
    for name in (killed, legacy, live):
        _create(name)
    try:
        gone = sweep_leftover_databases()  # another worker's sweep may have dropped some first
        assert live not in gone
        assert not _exists(killed) and not _exists(legacy) and _exists(live)
    finally:
        with pg_admin().connect() as conn:
            for name in (killed, legacy, live):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
