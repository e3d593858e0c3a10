"""Frameworks: the external obligations (a regulation's articles, a framework's functions) each clause answers."""
