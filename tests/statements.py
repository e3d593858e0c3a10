"""Which SQL a request runs: a capture of every statement, and a test for reading clause texts."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

# A clause version's text selected as a column (its length, `length(...body)`, and whether it has a
# fragment, `...body LIKE ...`, are not the text).
_BODY = re.compile(r"(?<!length\()\bclause_versions(?:_\d+)?\.body\b(?!\s+LIKE\b)")


@contextmanager
def captured(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_text(statement: str) -> bool:
    """The statement loads clause texts."""
    return bool(_BODY.search(statement))


def reads_every_text(statement: str) -> bool:
    """The statement loads clause texts with nothing to narrow them: no filter on the text itself (`LIKE`)
    and no list of the versions wanted (`clause_versions.id IN`, picked without their texts)."""
    return reads_text(statement) and " LIKE " not in statement.upper() and "clause_versions.id IN" not in statement
