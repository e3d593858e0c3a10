"""The append-only, hash-chained event log: every area records its state changes here."""
