"""The `specreg` command line: parse arguments, call one use case, commit, print text or JSON."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from registry.cli.context import Context
from registry.errors import SpecregError

# Each module has `register(subparsers, common)`; handlers import heavy modules lazily.
COMMAND_MODULES = (
    "registry.cli.ledger",
    "registry.cli.owners",
    "registry.cli.audit",
    "registry.cli.report",
    "registry.cli.accounts",
    "registry.cli.proposals",
    "registry.cli.web",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="specreg",
        description="Specreg: a governance registry for Markdown spec documents kept in git.",
    )
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    # Subcommands take --json too; SUPPRESS keeps their default from undoing `specreg --json CMD`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print only JSON on stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; SpecregErrors become a one-line message (or JSON) and exit status 1."""
    args = build_parser().parse_args(argv)
    ctx = Context(json=args.json)
    try:
        return args.handler(args, ctx) or 0
    except SpecregError as exc:
        ctx.fail(exc.code, exc.message)
        return 1
    except KeyboardInterrupt:
        ctx.fail("interrupted", "interrupted; work committed so far is kept")
        return 130
    except Exception as exc:  # database unreachable, disk full: still one clear line
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            ctx.fail("database_error", f"database error: {str(exc).splitlines()[0]}")
            return 1
        raise
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
