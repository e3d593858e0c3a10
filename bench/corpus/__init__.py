"""Deterministic spec repositories shaped like real ones, for the ingest benchmark and its tests.

Three shapes: `generated` (many small documents, steady edits), `reference` (a language reference
kept in mdBook with `r[...]` rule markers, rename waves and large files) and `single_file` (one
large document with footnoted examples and a few big releases). Each `build` writes a repo and
returns a `Corpus` that says what ingest should find at the head.
"""
