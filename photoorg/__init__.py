"""photoorg: a private, offline-capable desktop photo organizer."""

__version__ = "0.1.0"
