"""Web pages and API for accounts: your account, the admin user page, the users API."""
