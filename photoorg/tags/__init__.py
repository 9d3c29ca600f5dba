"""Automatic and user tags, tag search, and grouping photos into events and
visual groups."""
