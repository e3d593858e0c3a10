"""Background work: the requests for it (`requests.py`), the jobs (`jobs.py`) and the worker loop (`loop.py`)."""
