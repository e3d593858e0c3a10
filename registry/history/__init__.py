"""Read use cases over the ledger: refs and as-of, clause detail, diffs, blame, releases, search, activity, prompts."""
