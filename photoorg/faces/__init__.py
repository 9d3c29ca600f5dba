"""Faces and people: detection as a pipeline stage, clustering into people,
the user's corrections, and the filters, CLI and GUI on top."""
