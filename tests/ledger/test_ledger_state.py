"""LedgerState loads each lineage's latest live state: one query for many lineages, or one at a time."""
from __future__ import annotations

from ledger_helpers import run_ingest
from sqlalchemy import select

from registry.ledger.state import LedgerState
from registry.models import Clause

A = "# Alpha {#alpha}\n\nAlpha body one.\n\n## Beta {#beta}\n\nBeta one.\n"


def test_preloading_gives_every_lineage_the_state_it_gets_one_at_a_time(session, repo):
    first = repo.commit("one", {"spec/a.md": A})
    repo.commit("two", {"spec/a.md": A.replace("Alpha body one", "Alpha body two"), "spec/b.md": "# Gamma\n\nG.\n"})
    run_ingest(session, repo)
    repo.reset(first)  # "two" is set aside: its versions must not count as the latest
    repo.commit("three", {"spec/a.md": A.replace("Beta one", "Beta three")})
    run_ingest(session, repo)
    ids = list(session.scalars(select(Clause.id)))
    one_by_one, preloaded = LedgerState.load(session), LedgerState.load(session)
    preloaded.preload(ids)
    got = {cid: preloaded._last[cid] for cid in ids}
    assert got == {cid: one_by_one.last(cid) for cid in ids}
    assert {s.body for s in got.values() if s is not None} >= {"Alpha body one.", "Beta three."}
    assert [s for s in got.values() if s is None] == [None]  # Gamma lived only in the set-aside commit


def test_a_new_lineage_gets_an_id_above_every_lineage_even_when_none_is_live(session, repo):
    empty = repo.commit("readme", {"README.md": "Hello.\n"})
    repo.commit("two", {"spec/a.md": A})
    run_ingest(session, repo)
    highest = max(session.scalars(select(Clause.id)))
    assert LedgerState.load(session).next_id == highest + 1  # (read with the live lineages)
    repo.reset(empty)  # every lineage is set aside now
    repo.commit("three", {"README.md": "Hello again.\n"})
    run_ingest(session, repo)
    state = LedgerState.load(session)
    assert state.key_to_id == {} and state.next_id == highest + 1
