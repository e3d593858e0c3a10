"""`specreg restore` bounds the spec repo it makes from the archive's bundle, not only the archive's members:
the objects git inflates as it fetches and the files the checkout writes, each refused before it is written."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backup_helpers import Scratch, cli
from pack_builder import delta_bomb
from pg_scratch import BackgroundDrops
from repo_builder import RepoBuilder
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool

from registry.audit.keys import load_key
from registry.db import make_engine

SPEC = {"spec/style.md": "# Style\n\n## Be brief {#be_brief}\n\nPrefer short answers.\n"}


@pytest.fixture
def scratch(tmp_path: Path, background_drops: BackgroundDrops) -> Iterator[Scratch]:
    made = Scratch(tmp_path, background_drops)
    yield made
    made.drop()


@pytest.fixture
def backed_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, bytes]], Path]:
    """A real archive (`specreg init`, `ingest`, `backup`) of a spec repo that also holds `files`."""
    def make(files: dict[str, bytes]) -> Path:
        root = tmp_path / "source"
        repo = RepoBuilder(root / "spec")
        repo.commit("Spec", {**SPEC, **files})
        monkeypatch.setenv("SPECREG_DATABASE_URL", f"sqlite:///{root / 'source.db'}")
        monkeypatch.setenv("SPECREG_REPO", str(repo.path))
        for command in (["init"], ["ingest", "--include", "spec/*.md"], ["backup", "-o", str(root / "backup.tar.gz")]):
            assert cli(None, *command)[0] == 0, command
        return root / "backup.tar.gz"
    return make


def restore(scratch: Scratch, backend: str, archive: Path, repo: Path, monkeypatch: pytest.MonkeyPatch,
            *options: str) -> tuple[int, dict]:
    monkeypatch.setenv("SPECREG_DATABASE_URL", scratch.url(backend))
    monkeypatch.setenv("SPECREG_REPO", str(repo))
    return cli(None, "restore", str(archive), *options)


def assert_nothing_written(repo: Path) -> None:
    """No spec repo, no staging folder beside it, no table in the database."""
    assert not repo.exists()
    assert not [p.name for p in repo.parent.iterdir()] if repo.parent.exists() else True
    engine = make_engine(os.environ["SPECREG_DATABASE_URL"], poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_spec_repo_file_past_the_member_limit_is_refused_before_git_fetches_it(backend, backed_up, scratch,
                                                                               tmp_path, monkeypatch):
    archive = backed_up({"media/big.bin": bytes(2 << 20)})  # 2 MiB of zeros: a few KB in the archive
    assert archive.stat().st_size < 64 << 10
    repo = tmp_path / "restored" / "spec"
    code, out = restore(scratch, backend, archive, repo, monkeypatch, "--max-member-size", "1M")
    assert code == 1 and out["error"] == "bad_archive", out
    assert re.search(r"backup\.tar\.gz's repo\.bundle: object \d+ \(a blob\) unpacks to more than 1048576 bytes, "
                     r"the most any one member, object or file may \(--max-member-size\)", out["message"]), out
    assert_nothing_written(repo)


def test_spec_repo_files_past_the_total_limit_together_are_refused_naming_the_one_that_passes_it(
        backed_up, scratch, tmp_path, monkeypatch):
    # One blob of 400 KiB named four times: the bundle's objects pass 1 MiB, the files they make (1.6 MiB) do not.
    archive = backed_up({f"media/{n}.bin": bytes(400 << 10) for n in range(4)})
    repo = tmp_path / "restored" / "spec"
    code, out = restore(scratch, "sqlite", archive, repo, monkeypatch, "--max-size", "1M")
    assert code == 1 and out["error"] == "bad_archive", out
    assert "spec repo work tree unpacks to more than 1048576 bytes in all (--max-size), reaching file media/" \
        in out["message"]
    assert_nothing_written(repo)


def test_a_spec_repo_that_does_not_fit_in_the_free_space_beside_its_folder_is_refused(backed_up, scratch, tmp_path,
                                                                                      monkeypatch):
    archive = backed_up({"media/big.bin": bytes(2 << 20)})
    repo = tmp_path / "restored" / "spec"
    repo.parent.mkdir()
    real = shutil.disk_usage

    def tight(path: str | Path) -> shutil._ntuple_diskusage:  # only the repo's folder is short of room
        usage = real(path)
        return usage._replace(free=1 << 20) if Path(path) == repo.parent else usage
    monkeypatch.setattr(shutil, "disk_usage", tight)
    code, out = restore(scratch, "sqlite", archive, repo, monkeypatch)
    assert code == 1 and out["error"] == "bad_archive", out
    assert f"unpacks to more than the 1048576 bytes free in {repo.parent}, reaching file media/big.bin" \
        in out["message"]
    assert_nothing_written(repo)


def test_a_spec_repo_at_the_limits_restores_and_its_files_are_the_stored_bytes(backed_up, scratch, tmp_path,
                                                                               monkeypatch):
    archive = backed_up({"media/big.bin": bytes(1 << 20), ".gitattributes": b"* text eol=crlf\n"})
    repo = tmp_path / "restored" / "spec"
    code, out = restore(scratch, "sqlite", archive, repo, monkeypatch, "--max-member-size", "1M")
    assert code == 0, out
    assert (repo / "media" / "big.bin").stat().st_size == 1 << 20
    assert (repo / "spec" / "style.md").read_bytes() == SPEC["spec/style.md"].encode()  # LF, as stored
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""


def resigned(archive: Path, out: Path, bundle: bytes) -> Path:
    """The archive with another repo.bundle, its manifest's sha256 and size rewritten and signed with the audit
    key, as the backup would have (the restore must judge the bundle, not trust it)."""
    with tarfile.open(archive, "r:gz") as old:
        members = {m.name: old.extractfile(m).read() for m in old}
    doc = json.loads(members["manifest.json"])
    doc["members"]["repo.bundle"] = {"sha256": hashlib.sha256(bundle).hexdigest(), "size": len(bundle)}
    manifest = json.dumps(doc).encode()
    key = load_key(os.environ["SPECREG_AUDIT_KEY"], out.parent, create=False)
    members |= {"manifest.json": manifest, "manifest.hmac": (key.manifest_mac(manifest) + "\n").encode(),
                "repo.bundle": bundle}
    with tarfile.open(out, "w:gz") as new:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return out


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_bundle_whose_delta_inflates_past_the_member_limit_is_refused_before_git_reads_it(backend, backed_up,
                                                                                          scratch, tmp_path,
                                                                                          monkeypatch):
    delta_bomb(tmp_path / "bomb.bundle", 8 << 20)  # a few hundred bytes; git would hold 8 MiB in memory
    archive = resigned(backed_up({}), tmp_path / "bomb.tar.gz", (tmp_path / "bomb.bundle").read_bytes())
    repo = tmp_path / "restored" / "spec"
    code, out = restore(scratch, backend, archive, repo, monkeypatch, "--max-member-size", "1M")
    assert code == 1 and out["error"] == "bad_archive", out
    assert ("bomb.tar.gz's repo.bundle: object 4 (a delta) unpacks to more than 1048576 bytes, the most any one "
            "member, object or file may (--max-member-size)") in out["message"]
    assert_nothing_written(repo)  # not even the staging folder git would have fetched into
