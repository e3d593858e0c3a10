"""Crash injection in a merge with a remote: the process dies before the push, after it, or after the
database commit; after a restart and one sync the state is the old or the new one, never between."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_remote import spec_remote
from proposal_helpers import remote_world, without_governance
from sqlalchemy.pool import NullPool

from bench.hosts import commits_naming
from registry.accountability.verify import verify
from registry.db import make_engine, session_scope
from registry.history.queries import show_clause
from registry.ledger.refs import resolve
from registry.ledger.sync import sync
from registry.models import Proposal
from registry.proposals import reviews
from registry.proposals.merge import merge

ROOT = Path(__file__).resolve().parents[2]

# Each step replaces one function of the merge's process with one that ends the process on the spot.
CRASH = {
    # before anything leaves: the commit exists only in the clone, under a private ref at most
    "before push": "import registry.proposals.merge as m\nm.push = die",
    # the remote took the commit; the clone's branch and the database have not followed
    "after push": "import registry.proposals.merge as m\nreal = m.push\n"
                  "m.push = lambda *a: (real(*a), die())",
    # the database committed the merge; the process dies before it can answer
    "after the database commit": "import registry.cli.context as c\nc.Context.emit = die",
}
SCRIPT = """
import os, sys
def die(*args, **kwargs):
    os._exit(9)
{patch}
from registry.cli import main
sys.exit(main(["merge", sys.argv[1], "--as", "ada@example.org"]))
"""


@pytest.mark.parametrize(("step", "after_sync"), [
    ("before push", "approved"),
    ("after push", "merged"),
    ("after the database commit", "merged"),
])
def test_a_merge_that_dies_at_any_step_is_old_or_new_after_one_sync_and_verify_passes(database_url, tmp_path,
                                                                                     step, after_sync):
    engine = make_engine(database_url, poolclass=NullPool)
    clone = tmp_path / "instance" / "spec-clone"
    with spec_remote("file", tmp_path) as remote:
        with session_scope(engine, write=True) as s:
            world = remote_world(remote, s, clone)
            n = world.change("ada", "respect_privacy", "New text.")
            reviews.approve(s, world.users["grace"], n)
        before = remote.head()
        env = {k: v for k, v in os.environ.items() if k != "SPECREG_REPO"} | {
            "SPECREG_DATABASE_URL": database_url, "SPECREG_REMOTE": remote.url,
            "SPECREG_INSTANCE": str(tmp_path / "instance")}
        proc = subprocess.run([sys.executable, "-c", SCRIPT.format(patch=CRASH[step]), str(n)], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        assert proc.returncode == 9, proc.stderr

        with session_scope(engine, write=True) as s:  # the restart: one sync
            sync(s, clone, remote.url)
        with session_scope(engine, write=True) as s:
            proposal = s.get(Proposal, n)
            named = commits_naming(remote.path, "main").get(n, [])
            assert proposal.state == after_sync
            if after_sync == "merged":  # the new state: one commit on the remote, recorded as the merge
                assert named == [remote.head()] == [proposal.merged_sha]
                assert show_clause(s, "respect_privacy", resolve(s, None)).text == "New text."
            else:  # the old state: nothing reached the remote
                assert (named, remote.head(), proposal.merged_sha) == ([], before, None)
                assert show_clause(s, "respect_privacy", resolve(s, None)).text == "Do not reveal personal data."
            assert without_governance(verify(s)) == []
            again = merge(s, clone, None, world.users["ada"], n, remote=remote.url)  # a second click finishes it
        assert again.state == "merged"
        assert commits_naming(remote.path, "main").get(n, []) == [again.commit] == [remote.head()]
    engine.dispose()
