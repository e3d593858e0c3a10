"""Web pages and API for accountability."""
