"""What every command needs: settings, a database session, output in text or JSON."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from registry.config import Settings, load_settings
from registry.errors import BadRequest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session


T = TypeVar("T")


def option_or_env(given: T | None, env: str, default: T, parse: Callable[[str], T]) -> T:
    """An option's value: as given, else from its environment variable (parsed as the option is), else the default."""
    if given is not None:
        return given
    configured = os.environ.get(env, "").strip()
    if not configured:
        return default
    try:
        return parse(configured)
    except argparse.ArgumentTypeError as exc:
        raise BadRequest(f"{env} {exc}") from None


def print_error(as_json: bool, code: str, message: str, **extra: str) -> None:
    """An error as {"error", "message", ...} on stdout (JSON), or one line on stderr."""
    if as_json:
        print(json.dumps({"error": code, "message": message, **extra}))
    else:
        print(f"specreg: error: {message}", file=sys.stderr)


class Context:
    """Settings, a lazily created engine, and the output channel for one command."""

    def __init__(self, json: bool = False, settings: Settings | None = None) -> None:
        self.json = json
        self.settings = settings or load_settings()
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The database engine (created on first use)."""
        if self._engine is None:
            from registry.db import make_engine

            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @contextmanager
    def session(self, write: bool = False, check_schema: bool = True) -> Iterator[Session]:
        """A session that commits when the block succeeds; refuses an out-of-date schema."""
        from registry.db import session_scope
        from registry.schema import require_current

        with session_scope(self.engine, write=write) as session:
            if check_schema:
                require_current(session.connection())
            yield session

    def own_clone(self, session: Session) -> str | None:
        """With a remote, this host's clone, fetched first when it lacks the database's head; else None.

        Another host sharing the database may have merged or synced since this one fetched, and the
        database's record of where the repo is names whichever host ingested last.
        """
        if self.settings.remote is None:
            return None
        from registry.ledger.sync import catch_up

        catch_up(session, self.settings.repo, self.settings.remote)
        return str(self.settings.repo)

    def emit(self, data: Any, text: str | None = None) -> None:
        """Print JSON (with --json) or the human text."""
        if self.json:
            print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        elif text is not None:
            print(text)

    def note(self, text: str) -> None:
        """A human message on stderr (never pollutes --json stdout)."""
        if not self.json:
            print(text, file=sys.stderr)

    def warn(self, text: str) -> None:
        """A warning on stderr, with --json too (it qualifies what stdout says)."""
        print(f"specreg: warning: {text}", file=sys.stderr)

    def fail(self, code: str, message: str) -> None:
        """Report an error: JSON on stdout with --json, else one line on stderr."""
        print_error(self.json, code, message)

    def close(self) -> None:
        """Release the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
