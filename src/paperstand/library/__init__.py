"""A member's library: collections of saved papers, with notes, read marks, search, export and import."""
