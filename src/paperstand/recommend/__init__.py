"""Recommendations per member: signals, a per-member model over paper embeddings, and the reasons shown."""
