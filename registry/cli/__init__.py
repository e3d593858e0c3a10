"""The `specreg` command line: parse arguments, call one use case, commit, print text or JSON."""
from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import NoReturn

from registry.cli.context import Context, print_error
from registry.errors import SpecregError
from registry.ledger import standby

# Each module has `register(subparsers, common)`; handlers import heavy modules lazily. The
# commands each one registers are listed so a run builds only its own module's parsers (building
# all of them cost every command ~25 ms); a test checks the lists against what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "registry.cli.ledger": ("init", "ingest", "sync", "runs", "clauses", "history", "show", "diff"),
    "registry.cli.owners": ("who-owns", "owned-by", "unowned", "owner-history", "assign", "unassign"),
    "registry.cli.audit": ("verify", "reindex", "audit", "unapproved", "acknowledge", "in-force"),
    "registry.cli.report": ("report", "coverage"),
    "registry.cli.policy": ("policy",),
    "registry.cli.accounts": ("user", "token"),
    "registry.cli.proposals": ("propose", "revise", "submit", "comment", "review", "check", "dismiss", "withdraw",
                               "reject", "merge", "proposal", "proposals", "queue"),
    "registry.cli.web": ("serve", "demo"),
    "registry.cli.worker": ("worker",),
    "registry.cli.backup": ("backup", "restore"),
    "registry.cli.webhooks": ("webhook",),
}


class UsageError(Exception):
    """Arguments the parser refuses (missing, unknown, a bad value); `parser` is the (sub)command's."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing and exiting, so main can answer in JSON."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand, or only those of the module that registers `command`."""
    parser = _Parser(
        prog="specreg",
        description="Specreg: a governance registry for Markdown spec documents kept in git.",
    )
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    # Subcommands take --json too; SUPPRESS keeps their default from undoing `specreg --json CMD`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print only JSON on stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, commands in COMMAND_MODULES.items():
        if command is None or command in commands:
            importlib.import_module(name).register(sub, common)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    """The command argv names when only --json comes before it, else None (then every parser is built)."""
    # With nothing but --json before it, argparse takes that token as the command and hands the rest
    # to that command's parser: the result is the same whatever other commands are registered. Help,
    # unknown commands and anything else get the full parser, so their output lists every command.
    for arg in argv:
        if arg != "--json":
            return arg if any(arg in commands for commands in COMMAND_MODULES.values()) else None
    return None


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether --json was asked for, read from the raw arguments (they did not parse)."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    return "--json" in options


def _usage(exc: UsageError, as_json: bool) -> int:
    """A usage error: JSON on stdout with --json, else argparse's usage and message on stderr; exit 2."""
    if as_json:
        print_error(True, "usage", f"{exc.parser.prog}: {exc.message}", usage=exc.parser.format_usage().strip())
    else:
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None, imported: Callable[[], None] = lambda: None) -> int:
    """Run one command; SpecregErrors become a one-line message (or JSON) and exit 1, usage errors exit 2.

    `imported` is called once the command's modules are imported, before it runs.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(_named_command(argv)).parse_args(argv)
    except UsageError as exc:
        return _usage(exc, _wants_json(argv))
    # A command that may read a long history starts its reader process now, before the imports below
    # (most of a command's start-up), so that reading overlaps them (see ledger.standby).
    plan = getattr(args, "reader_plan", None)
    with standby.standing_by(plan(args)) if plan is not None else nullcontext():
        return _handle(args, imported)


def _handle(args: argparse.Namespace, imported: Callable[[], None]) -> int:
    """Call the command's handler with its context; errors as main() describes."""
    from registry import wiring

    wiring.install()
    imported()
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


def _imported() -> None:
    """Once the command's modules are imported: freeze what they built, and collect again (see run)."""
    gc.freeze()
    gc.enable()


def run(argv: Sequence[str] | None = None) -> int:
    """The process entry point (`specreg`, `python -m registry`): main(), then a cheaper interpreter exit."""
    # What importing built lives as long as the process: frozen once imported, it is walked by none of
    # the command's collections (a long ingest and its reader process run many) nor the one below.
    # Until then nothing is collected: importing makes next to no garbage, and the collections it
    # set off walked everything imported so far (2.4% of a no-op ingest's instructions).
    gc.freeze()
    gc.disable()
    try:
        code = main(argv, imported=_imported)
    finally:
        gc.enable()
    # Shutdown would garbage-collect everything still alive, SQLAlchemy's and GitPython's module
    # graphs included: 0.12-0.25 s after a one-commit ingest. So collect what the command left
    # unreachable now (finalizers run as usual), then freeze what is still reachable: shutdown skips
    # it and the OS reclaims it. atexit handlers, stdio flushing and module cleanup still run. Not in
    # main(), which tests call in-process: a frozen test process would never free its garbage.
    gc.collect()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
