"""Matching papers by arXiv category: ``cs.CL`` exactly, an archive (``cs``, ``math``, ``hep-th``) by prefix.

An archive names every category under it (``cs`` → ``cs.CL``, ``cs.LG``, ...) and itself, since some
archives are also categories (``hep-th``, ``astro-ph`` before 2009). ``math`` is not a prefix of
``math-ph``: only a dot starts a subject class. Search (every engine) and the arXiv listings share this.

PostgreSQL stores ``categories`` as JSON. Two expression GIN indexes (migration 0007) keep both kinds
fast at a million papers: ``(categories::jsonb)`` answers the exact ``?|`` test, and
``paper_archives(categories)`` (a SQL function returning the distinct archives as ``text[]``) answers
``&&`` for archives. A ``LIKE`` over the JSON text would need pg_trgm and matches inside other
values; a stored column would need every writer to keep it in step. SQLite has no such index: it
tests each row's ``json_each`` values, which its filters already did.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, cast, exists, func, or_
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TEXT

from paperstand.papers.models import Paper

# The SQL function behind the archive index; its definition lives in migration 0007.
PG_ARCHIVES_FUNCTION = "paper_archives"


def split_categories(values: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(archives, exact categories): a value without a dot is an archive, one with a dot a category."""
    archives = tuple(dict.fromkeys(v for v in values if "." not in v))
    exact = tuple(dict.fromkeys(v for v in values if "." in v))
    return archives, exact


def category_matches(wanted: str, category: str) -> bool:
    """Whether a paper category (``cs.CL``) is what ``wanted`` (``cs.CL`` or the archive ``cs``) names."""
    if "." in wanted:
        return category == wanted
    return category == wanted or category.startswith(wanted + ".")


def category_condition(values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Papers having at least one category that one of ``values`` names (see ``category_matches``)."""
    archives, exact = split_categories(values)
    if dialect == "sqlite":
        each = func.json_each(Paper.categories).table_valued("value")
        # GLOB, not LIKE: case-sensitive, and "_" is no wildcard in it.
        tests: list[ColumnElement[bool]] = [each.c.value.in_(exact)] if exact else []
        tests += [or_(each.c.value == a, each.c.value.op("GLOB")(_glob_literal(a) + ".*")) for a in archives]
        return exists().select_from(each).where(or_(*tests))
    parts: list[ColumnElement[bool]] = []
    if exact:
        parts.append(cast(Paper.categories, JSONB).op("?|")(cast(list(exact), ARRAY(TEXT))))
    if archives:
        parts.append(getattr(func, PG_ARCHIVES_FUNCTION)(Paper.categories).op("&&")(
            cast(list(archives), ARRAY(TEXT))))
    return or_(*parts)


def _glob_literal(text: str) -> str:
    """``text`` with GLOB's wildcards escaped as one-character sets (canonical categories have none)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
