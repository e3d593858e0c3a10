"""Parses travel from a reader process to the writer as deltas, and the writer rebuilds them exactly.

The writer keeps each document's last parse; a parse built from it travels as its re-scanned window,
with the clauses that read as before sent as references. Both ends must speak one wire version.
"""
from __future__ import annotations

import pytest
from reader_helpers import random_history

from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.ledger import wire
from registry.ledger.history_stream import ReadJob, read_batches
from registry.spec.clause_builder import Clause
from registry.spec.specfiles import SpecFiles


@pytest.mark.parametrize("seed", range(3))
def test_the_wire_form_rebuilds_every_parse_and_its_previous_version(tmp_path, seed):
    repo = random_history(tmp_path / "spec", seed, commits=40)
    encoder, decoder = wire.Encoder(), wire.Decoder()
    with SpecSource(repo.path) as source:
        job = ReadJob(str(repo.path), repo.head(), None, SpecFiles(), 2_000_000, 4)
        for batch in read_batches(source, job):
            for sent in batch:
                got = decoder.commit(encoder.commit(sent))
                assert (got.commit, got.renames, got.warnings) == (sent.commit, sent.renames, sent.warnings)
                for a, b in zip(sent.edits, got.edits, strict=True):
                    assert (a.path, a.blob, a.clauses) == (b.path, b.blob, b.clauses)
                    assert (a.parsed and a.parsed.reused, a.parsed and a.parsed.base) == \
                        (b.parsed and b.parsed.reused, b.parsed and b.parsed.base)
                    assert (a.previous and a.previous.serial) == (b.previous and b.previous.serial)


def test_a_window_sends_clauses_that_read_as_before_as_references_and_the_writer_rebuilds_them():
    old = [Clause("a", "A", (), "one", 2, None, 0, 3, False, ("a",)),
           Clause("b", "B", (("k", "v"),), "two", 3, "a", 3, 6, True, ("a", "b")),
           Clause("c", "C", (), "three", 3, "a", 6, 9, False, ("a", "c"))]
    new = [old[0], old[1]._replace(body="two, longer\nnow"), old[2]._replace(start=7, end=10)]
    sent = wire._window(new, old, 0, 3)
    assert sent == [0, tuple(new[1]), (2, 1)]  # the same clause, a changed one, one a line lower
    got = [wire._received_clause(w, old) for w in sent]
    assert got == new and all(type(c) is Clause for c in got)
    assert got[0] is old[0]  # the writer sees an unchanged clause as the very same one


def test_the_decoder_takes_a_reader_whose_first_message_names_its_wire_version():
    assert isinstance(wire.Decoder.from_hello(wire.hello()), wire.Decoder)


@pytest.mark.parametrize(("first", "said"), [
    (("wire", wire.VERSION + 1), f"speaks wire version {wire.VERSION + 1}"),
    (("batch", []), "speaks no wire version"),  # a reader from before the version was sent
])
def test_the_decoder_refuses_a_reader_of_another_wire_version_with_a_clear_error(first, said):
    with pytest.raises(SourceError, match=rf"{said}.*this writer wire version {wire.VERSION}.*one installation"):
        wire.Decoder.from_hello(first)
