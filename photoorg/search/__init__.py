"""Search: query parsing, filters, the in-memory vector index and ranking."""
