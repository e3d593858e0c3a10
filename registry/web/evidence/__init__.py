"""Web pages and API for the evidence report."""
