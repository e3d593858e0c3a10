"""Benchmarks (run as scripts: `python bench/ingest.py`, `python bench/web.py`) and their corpora."""
