"""The ledger's write path: read the branch into clause versions (ingest); knows nothing of proposals."""
