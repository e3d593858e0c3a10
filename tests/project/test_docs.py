"""The README documents every command line command."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from registry.cli import build_parser

README = (Path(__file__).parents[2] / "README.md").read_text()


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_cli_command_is_documented_in_the_readme(command):
    assert f"specreg {command}" in README


def test_the_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "python3 -m registry.bootstrap test" in README
    assert "python3 -m registry.bootstrap test" in ci
