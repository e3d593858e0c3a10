"""Proposals: states, policy, the verdict (what counts as an approval), permissions, authoring, reviews, merge."""
