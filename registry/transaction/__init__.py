"""What a session does inside its transaction, beside `registry/db.py`'s engines and sessions: the
writer locks and their order (`locks.py`), whether it has written and what it reads once while it has
not (`tracking.py`), the answers kept across requests for sessions that have not written (`kept.py`),
and rows inserted in bulk (`bulk.py`)."""
