"""The registry's commit messages and their trailers."""
from __future__ import annotations

from registry.gitsource import trailers


def test_a_message_has_the_title_the_rationale_and_the_trailers_last():
    message = trailers.commit_message("Tighten privacy", "Because.\n\nTwo paragraphs.", [
        ("Proposal-Id", "7"), ("Approved-by", "Grace Hopper <grace@example.org>; 2025-01-02T03:04:05Z; "
                                              "approved as owner of respect_privacy"), ("Audit-Head", "3:abc")])
    assert message.startswith("Tighten privacy\n\nBecause.\n\nTwo paragraphs.\n\nProposal-Id: 7\n")
    assert trailers.values(message, "proposal-id") == ["7"]
    assert trailers.values(message, "Approved-by")[0].endswith("; approved as owner of respect_privacy")


def test_values_cannot_break_out_of_their_line():
    message = trailers.commit_message("Title\nInjected: 1", "x", [("Approved-by", "Eve\nProposal-Id: 99")])
    assert trailers.values(message, "Proposal-Id") == []
    assert message.splitlines()[0] == "Title Injected: 1"


def test_a_rationale_that_looks_like_trailers_is_not_read_as_trailers():
    message = trailers.commit_message("T", "Proposal-Id: 5", [("Proposal-Id", "6")])
    assert trailers.values(message, "Proposal-Id") == ["6"]
    assert trailers.parse_trailers(trailers.commit_message("T", "Proposal-Id: 5", [])) == []


def test_a_message_without_trailers_has_none():
    assert trailers.parse_trailers("Subject only") == []
    assert trailers.parse_trailers("Subject\n\nJust a body line.") == []


def test_approved_by_is_name_email_time_meaning():
    assert trailers.approved_by("Grace  Hopper", "g@x.org", "2025-01-01T00:00:00Z", "approved as owner of a") == \
        "Grace Hopper <g@x.org>; 2025-01-01T00:00:00Z; approved as owner of a"
