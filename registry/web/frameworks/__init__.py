"""Framework pages and API: the obligations each clause answers (frameworks.toml)."""
