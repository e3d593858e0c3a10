"""The web edge: HTML pages and the JSON API. Views parse input, call one use case, render."""
