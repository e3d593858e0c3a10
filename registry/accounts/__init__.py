"""People who log in: accounts with roles, credentials (tokens, sessions), password logins and throttling."""
