"""Reading the stored paper embeddings a member's model needs: their signals, random papers, a period's papers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.search import terms
from paperstand.search.embed_text import DIM, MODEL_ID
from paperstand.search.models import PaperEmbedding
from paperstand.search.vectors import unpack_vectors

# Ids sent in one IN (...) list: under SQLite's default limit of host parameters, and small enough for PostgreSQL.
CHUNK = 900


@dataclass
class Candidates:
    """A period's papers with vectors: ids, published times, categories and the vectors (texts are read only for
    the papers shown: a week of a large site has thousands of candidates)."""

    ids: list[int]
    published: list[datetime | None]
    categories: list[list[str]]
    vectors: np.ndarray


def vectors_of(session: Session, paper_ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
    """The stored vectors of those of ``paper_ids`` that have one (current model): ``(ids, matrix)``."""
    ids: list[int] = []
    blobs: list[bytes] = []
    wanted = sorted(set(paper_ids))
    for i in range(0, len(wanted), CHUNK):
        rows = session.execute(select(PaperEmbedding.paper_id, PaperEmbedding.vector)
                               .where(PaperEmbedding.paper_id.in_(wanted[i:i + CHUNK]),
                                      PaperEmbedding.model_id == MODEL_ID)).all()
        for pid, blob in rows:
            ids.append(pid)
            blobs.append(blob)
    return ids, unpack_vectors(blobs)


def random_vectors(session: Session, count: int, seed: int,
                   exclude: Collection[int]) -> tuple[list[int], np.ndarray]:
    """About ``count`` random papers' ids and vectors (a fixed draw for a seed and table), none in ``exclude``.

    Ids are drawn uniformly between the smallest and largest embedded id and looked up, so the draw costs an
    index lookup per id rather than a scan of the table (ids are dense enough: gaps only make the draw smaller).
    """
    # Two scalar subqueries, not min() and max() in one select: SQLite answers a lone min() or max() from
    # the end of the primary key, but both at once by scanning an index (110 ms at a million papers).
    low, high = session.execute(select(select(func.min(PaperEmbedding.paper_id)).scalar_subquery(),
                                       select(func.max(PaperEmbedding.paper_id)).scalar_subquery())).one()
    if low is None or count <= 0:
        return [], np.zeros((0, DIM), dtype=np.float32)
    rng = np.random.default_rng(seed)
    drawn = {int(i) for i in rng.integers(low, high + 1, size=count * 2)} - set(exclude)
    ids, vecs = vectors_of(session, sorted(drawn))
    return ids[:count], vecs[:count]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)


def period_candidates(session: Session, start: date, end: date, exclude: Collection[int]) -> Candidates:
    """The papers published in ``[start, end)`` that have a vector and are not withdrawn or in ``exclude``."""
    low, high = _bounds(start, end)
    # On the session's Connection (Core): a week is thousands of rows, and the ORM's row loading cost more
    # than reading them.
    rows = session.connection().execute(
        select(Paper.id, Paper.published_at, Paper.categories, PaperEmbedding.vector)
        .join(PaperEmbedding, PaperEmbedding.paper_id == Paper.id)
        .where(Paper.published_at >= low, Paper.published_at < high, Paper.withdrawn.is_(False),
               PaperEmbedding.model_id == MODEL_ID)).all()
    rows = [r for r in rows if r[0] not in exclude]
    return Candidates(ids=[r[0] for r in rows], published=[r[1] for r in rows],
                      categories=[list(r[2] or []) for r in rows], vectors=unpack_vectors([r[3] for r in rows]))


def latest_day_with_papers(session: Session) -> date | None:
    """The arXiv date of the newest paper (not withdrawn), or ``None`` when there are none."""
    newest = session.execute(select(func.max(Paper.published_at)).where(Paper.withdrawn.is_(False))).scalar()
    return newest.date() if newest is not None else None


def categories_of(session: Session, paper_ids: Sequence[int]) -> list[list[str]]:
    """The categories of each of ``paper_ids`` that exists (order not kept: only their counts matter)."""
    out: list[list[str]] = []
    ids = list(paper_ids)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(select(Paper.categories).where(Paper.id.in_(ids[i:i + CHUNK])))
        out += [list(c or []) for (c,) in rows]
    return out


def word_counts_of(session: Session, paper_ids: Sequence[int]) -> sp.csr_matrix:
    """The word model's input for each of ``paper_ids``, in order: the stored counts (``search.terms``), and for a
    paper stored before they were kept, its text hashed now (an empty row for an unknown id)."""
    ids = [int(p) for p in paper_ids]
    stored: dict[int, bytes] = {}
    for i in range(0, len(ids), CHUNK):
        for pid, blob in session.connection().execute(
                select(PaperEmbedding.paper_id, PaperEmbedding.terms)
                .where(PaperEmbedding.paper_id.in_(ids[i:i + CHUNK]), PaperEmbedding.terms.is_not(None))):
            if blob is not None:
                stored[pid] = blob
    missing = [p for p in ids if p not in stored]
    if missing:
        texts = texts_of(session, missing)
        stored.update(zip(missing, terms.pack([texts.get(p, "") for p in missing]), strict=True))
    return terms.unpack([stored[p] for p in ids])


def texts_of(session: Session, paper_ids: Sequence[int]) -> dict[int, str]:
    """``"title abstract"`` of each of ``paper_ids`` that exists (the reasons' words; hashed for a paper with no
    stored counts)."""
    out: dict[int, str] = {}
    ids = list(paper_ids)
    for i in range(0, len(ids), CHUNK):
        for pid, title, abstract in session.execute(
                select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(ids[i:i + CHUNK]))):
            out[pid] = f"{title} {abstract or ''}"
    return out
