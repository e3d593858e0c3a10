"""Scratch PostgreSQL databases for the tests: the server, and the sweep of killed runs' leftovers.

A module of its own (not conftest.py) so tests can import it: under xdist several conftest modules
share the name `conftest`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

PG_ADMIN_URL = os.environ.get("SPECREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pg_unavailable_reason() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None when it can."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


def pg_admin() -> Engine:
    """An autocommit engine on the server's maintenance database (to create and drop databases)."""
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


SCRATCH_PREFIX = "specreg_test_"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # too large for a pid: an old name whose hex tag is all digits
        return False
    except PermissionError:
        return True
    return True


def _leftover(name: str) -> bool:
    """A scratch database whose creating process is gone (a killed run), or one from before pids were named."""
    pid = name[len(SCRATCH_PREFIX):].split("_")[0]
    return not pid.isdigit() or not _alive(int(pid))


def sweep_leftover_databases() -> list[str]:
    """Drop the scratch PostgreSQL databases that killed test runs left behind; their names."""
    with pg_admin().connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": SCRATCH_PREFIX + "%"}).scalars().all()
    gone = [n for n in names if _leftover(n)]
    drop_databases(gone)
    return gone


# Connections a sweep or a run's leftover drop holds at once. Each holds one of the server's 100, and a
# run's workers need theirs: at 16, a few runs ending while another ran (two test commands, a developer's
# targeted runs) took them all, and the running suite's tests failed with "too many clients already".
DROPPING_AT_ONCE = 6


def drop_databases(names: Iterable[str]) -> None:
    """Drop these databases, all at once: each DROP DATABASE waits for a checkpoint, and drops
    that wait together share one (one after another, a hundred take minutes on a busy server)."""

    def drop(name: str) -> None:
        with pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    names = list(names)
    if names:
        with ThreadPoolExecutor(min(len(names), DROPPING_AT_ONCE), thread_name_prefix="drop-database") as pool:
            list(pool.map(drop, names))


def drop_databases_and_roles(names: Iterable[str], roles: Iterable[str] = ()) -> None:
    """Drop these databases, then these roles (a role's grants in a database go with the database)."""
    drop_databases(names)
    roles = list(roles)
    if roles:
        with pg_admin().connect() as conn:
            for role in roles:
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def drop_later(names: list[str], roles: list[str] | None = None) -> None:
    """Drop these databases, then these roles, from a process of their own that this one does not wait for.

    A run's last tests need not wait for the drops' checkpoints; if the process fails, the next
    run's sweep drops the databases left (their creator's pid is gone by then).
    """
    if names or roles:
        subprocess.Popen([sys.executable, __file__, *names, "--roles", *(roles or [])], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class BackgroundDrops:
    """Drops databases on threads of this process while the tests go on (a test need not wait for the
    checkpoint each DROP DATABASE waits for: 1-24 s apiece while other runs write); finish() hands
    what is left to drop_later."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="drop-database")
        self._dropping: list[tuple[list[str], list[str], Future[None]]] = []

    def drop(self, *names: str, roles: Iterable[str] = ()) -> None:
        """Drop these databases (no test uses them any more), then these roles, soon."""
        self._dropping.append((list(names), list(roles), self._pool.submit(drop_databases_and_roles, names, roles)))

    def finish(self, also: Iterable[str] = ()) -> None:
        """Drop `also` and every drop not yet done after this process; a drop that failed fails here."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        failed = [f.exception() for _, _, f in self._dropping if f.done() and not f.cancelled() and f.exception()]
        left = [d for d in self._dropping if not d[2].done() or d[2].cancelled()]
        self._dropping = []
        drop_later([*also, *(n for names, _, _ in left for n in names)], [r for _, roles, _ in left for r in roles])
        if failed:
            raise failed[0]  # type: ignore[misc]


if __name__ == "__main__":
    _names, _roles = sys.argv[1:sys.argv.index("--roles")], sys.argv[sys.argv.index("--roles") + 1:]
    drop_databases_and_roles(_names, _roles)
