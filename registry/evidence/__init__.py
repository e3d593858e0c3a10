"""The evidence report for a release or a range, and its renderers."""
