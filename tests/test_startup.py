"""What starting a command costs: modules the one-commit `specreg ingest` path must not import."""
from __future__ import annotations

import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_loading_the_models_imports_no_database_dialect():
    # A postgresql_where= on a model made every SQLite command import the PostgreSQL dialect (~45 ms).
    loaded = _loaded_after("import registry.models")
    assert not {m for m in loaded if m.startswith("sqlalchemy.dialects.")}
