"""Owners: OWNERS.toml, the resolution rules, ownership history and registry assignments."""
