"""The pure spec text model: parse documents into clauses, identity and rename matching, word diff, clause edits."""
