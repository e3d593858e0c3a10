"""Web pages and API for proposals."""
