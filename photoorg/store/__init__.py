"""The SQLite index: schema, connections and migrations."""
