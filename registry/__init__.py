"""Specreg: a governance registry for written behaviour specifications kept as Markdown in git."""
