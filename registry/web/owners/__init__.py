"""Web pages and API for owners."""
