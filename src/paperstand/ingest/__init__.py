"""Ingest: one parser per source format, all producing ``PaperRecord``; ``run`` stores them."""
