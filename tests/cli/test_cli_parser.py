"""The argument parser: a run builds only its command's module, and parses exactly as the full parser."""
from __future__ import annotations

import argparse
import importlib

import pytest

from registry.cli import COMMAND_MODULES, _named_command, build_parser, main


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_the_command_table_lists_exactly_what_each_module_registers(module):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).register(sub, argparse.ArgumentParser(add_help=False))
    assert tuple(sub.choices) == COMMAND_MODULES[module]


def test_a_named_command_builds_only_its_own_modules_commands():
    assert _choices(build_parser("ingest")) == list(COMMAND_MODULES["registry.cli.ledger"])
    assert _choices(build_parser()) == [c for commands in COMMAND_MODULES.values() for c in commands]


@pytest.mark.parametrize(("argv", "command"), [
    (["ingest", "--json"], "ingest"),
    (["--json", "--json", "user", "list"], "user"),
    (["--help"], None),
    (["--json", "-h", "ingest"], None),
    (["--js", "ingest"], None),
    (["-", "ingest"], None),
    (["--", "ingest"], None),
    (["frobnicate", "ingest"], None),
    ([], None),
])
def test_only_a_command_after_nothing_but_json_narrows_the_parser(argv, command):
    assert _named_command(argv) == command


@pytest.mark.parametrize("argv", [
    ["ingest", "--repo", "r", "--include", "a/*.md", "--include", "b.md", "--similarity", "0.5"],
    ["--json", "show", "be_honest", "--at", "v1", "--json"],
    ["user", "add", "eve@example.org", "--name", "Eve", "--role", "admin"],
    ["review", "3", "--approve", "--revision", "2"],
    ["who-owns", "be_honest"],
])
def test_the_narrowed_parser_parses_like_the_full_one(argv):
    assert build_parser(_named_command(argv)).parse_args(argv) == build_parser().parse_args(argv)


def test_help_still_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for commands in COMMAND_MODULES.values() for command in commands)


def test_an_unknown_command_is_refused_with_every_command_as_a_choice(capsys):
    assert main(["--json", "frobnicate"]) == 2
    out = capsys.readouterr().out
    assert "'proposals'" in out and "'ingest'" in out and "'serve'" in out
