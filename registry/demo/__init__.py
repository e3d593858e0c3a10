"""The demo: a spec repo with a real history, and accounts and proposals in every state."""
