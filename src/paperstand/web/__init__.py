"""Server-rendered pages: thin routes over paperstand.papers.queries."""
