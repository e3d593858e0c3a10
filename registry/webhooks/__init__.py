"""Webhooks: subscriptions (`subscriptions.py`), the events and the audit events behind them (`events.py`),
the outbox written with each change (`outbox.py`) and its sending by the worker (`delivery.py`)."""
