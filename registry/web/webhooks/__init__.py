"""The admin's webhooks page."""
