"""The layout shows the architecture: documented packages, no hidden imports, layers checked in CI."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "registry"


def _architecture() -> str:
    # read when a test runs, not at collection: the packages are listed then too
    return (ROOT / "docs" / "architecture.md").read_text()


def _packages() -> list[str]:
    return sorted(str(p.parent.relative_to(ROOT)) for p in PACKAGE.rglob("*/__init__.py"))


def test_every_package_is_described_in_the_architecture_document():
    architecture = _architecture()
    missing = [p for p in _packages() if f"`{p}/`" not in architecture]
    assert not missing, f"docs/architecture.md does not describe {missing}"


def test_every_package_the_architecture_document_names_exists():
    named = set(re.findall(r"`(registry(?:/\w+)*)/`", _architecture()))
    assert named <= set(_packages()), f"docs/architecture.md names packages that do not exist: {named - set(_packages())}"


def test_no_module_imports_by_string_except_the_cli_loading_its_command_modules():
    # A string import hides a dependency from import-linter and from the reader; the command line
    # loads only the named command's module (start-up time), and that is the one exception.
    allowed = {PACKAGE / "cli" / "__init__.py"}
    found = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
             if p not in allowed and re.search(r"\bimport_module\(|__import__\(", p.read_text())]
    assert not found


def test_ci_checks_the_layers_types_and_lint():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "lint-imports" in ci and ".venv/bin/mypy" in ci and "ruff check" in ci


def test_no_document_points_to_a_design_file_outside_the_repository():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    outside = [str(d.relative_to(ROOT)) for d in docs if re.search(r"\.\./shared|DESIGN\.md", d.read_text())]
    assert not outside
