"""Web pages and read API for the spec and its history."""
