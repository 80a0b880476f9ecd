"""Trending: one pure score of votes, comments, stars and age, stored and recomputed in bulk."""
