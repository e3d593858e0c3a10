"""Accountability: unapproved changes, acknowledgements, verify, the text in force at a moment."""
