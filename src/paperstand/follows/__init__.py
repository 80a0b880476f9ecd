"""Follows (authors, members, arXiv categories, saved searches) and watched papers, with their alerts."""
