"""The composition root: what rides along with ingest and who hears other areas' signals."""
from __future__ import annotations

import pytest

from registry import signals, wiring
from registry.ledger import hooks


def test_the_merge_watcher_runs_after_the_owners_policy_and_governance_readers_and_reevaluation_last():
    order = [f.__name__ for f in wiring.INGEST_WATCHERS]
    assert order.index("_merge_completion") > max(order.index("_owners"), order.index("_policy"),
                                                  order.index("_governance_files"))
    assert order[-1] == "_reevaluation"


def test_every_installed_watcher_factory_builds_an_ingest_watcher(session):
    wiring.install()
    built = [make(session, lambda *a, **k: None) for make in hooks.installed()]
    assert all(isinstance(w, hooks.IngestWatcher) for w in built) and len(built) == len(wiring.INGEST_WATCHERS)


def test_ingest_without_installed_watchers_is_an_error_not_a_silent_skip(monkeypatch):
    monkeypatch.setattr(hooks, "_installed", None)
    with pytest.raises(RuntimeError, match="wiring.install"):
        hooks.installed()


def test_a_signal_published_before_installation_is_an_error_not_lost(monkeypatch, session):
    monkeypatch.setattr(signals, "_handlers", None)
    with pytest.raises(RuntimeError, match="wiring.install"):
        signals.publish(session, signals.ApproversChanged("ada@example.org"))


def test_a_signal_reaches_its_handlers_in_order_and_no_other_kind(monkeypatch, session):
    heard: list[str] = []
    monkeypatch.setattr(signals, "_handlers", None)
    signals.install({signals.ApproversChanged: [lambda s, e: heard.append("first:" + e.actor),
                                                lambda s, e: heard.append("second")]})
    signals.publish(session, signals.ApproversChanged("ada@example.org", (1,)))
    signals.publish(session, object())
    assert heard == ["first:ada@example.org", "second"]
    wiring.install()


def test_an_approvers_changed_signal_rechecks_only_the_proposals_touching_those_clauses(monkeypatch, session):
    from registry.proposals import reevaluation

    calls = []
    monkeypatch.setattr(reevaluation, "touching", lambda s, ids: [f"p{i}" for i in ids])
    monkeypatch.setattr(reevaluation, "reevaluate", lambda s, affected, actor: calls.append((affected, actor)))
    wiring.install()
    signals.publish(session, signals.ApproversChanged("ada@example.org", (7,)))
    signals.publish(session, signals.ApproversChanged("ada@example.org"))
    assert calls == [(["p7"], "ada@example.org"), (None, "ada@example.org")]
