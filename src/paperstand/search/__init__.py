"""Search: the query language, keyword search (database full-text or a tantivy index)."""
