"""What members do with papers: votes, comments, submissions, curation, authorship claims, moderation."""
