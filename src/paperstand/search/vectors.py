"""Durable paper embeddings: one stored vector per paper, recomputed only when its embedded text changes.

A paper is *pending* when it has no vector, its vector came from another model (``MODEL_ID``), or the paper
changed (``papers.last_changed_at``) after its vector was last checked. A pending paper whose text hashes to the
stored ``content_hash`` is only marked checked; any other is embedded again. ``embed_pending`` works through the
pending papers in id order, one committed batch at a time, so a run that is killed loses at most one batch and
the next run carries on where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from sqlalchemy import Connection, Engine, Table, bindparam, func, or_, select, update

from paperstand.dialect import upsert
from paperstand.papers.models import Paper
from paperstand.search import terms
from paperstand.search.embed_text import DIM, MODEL_ID, paper_text
from paperstand.search.models import PaperEmbedding

if TYPE_CHECKING:
    from paperstand.config import Settings
    from paperstand.search.ann import IndexReport

log = logging.getLogger(__name__)

# Stored precision. float16 halves the table (768 bytes a vector instead of 1,536) and keeps cosine
# similarities within about 1e-3 of float32, far below the gap between neighbouring results (measured on the
# seed capture: identical top-10 lists; see docs/PERFORMANCE.md).
VECTOR_DTYPE = np.dtype("<f2")
# Papers embedded and committed together: large enough to keep the model busy, small enough that a killed
# run loses little work.
DEFAULT_BATCH = 1024
# A paper is marked checked as of this long before its text was read: an import transaction that changed it
# just before, but committed just after, the read still leaves it pending (it is hashed once more, that is all).
CHECK_SLACK = timedelta(minutes=2)


class TextEncoder(Protocol):
    """What the backfill needs from an embedder (``paperstand.search.embedder.Embedder`` is one)."""

    model_id: str

    def encode(self, texts: Sequence[str], batch_size: int | None = None,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors, one row per text."""
        ...


def content_hash(text: str) -> str:
    """The hash stored beside a vector: 128 bits of SHA-256 of the embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def pack_vector(vector: np.ndarray) -> bytes:
    """A vector as stored in the table."""
    return np.asarray(vector, dtype=np.float32).astype(VECTOR_DTYPE).tobytes()


def unpack_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors as one float32 matrix, shape ``(len(blobs), DIM)``."""
    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), DIM).astype(np.float32)


@dataclass
class EmbedReport:
    """What one backfill run did."""

    embedded: int = 0        # papers whose vector was (re)computed
    unchanged: int = 0       # pending papers whose text had not changed (only marked checked)
    seconds: float = 0.0     # embedding and writing, not loading the model
    load_seconds: float = 0.0  # loading the model (on a first run, also building its int8 graph)
    device: str = ""
    index: IndexReport | None = None

    def lines(self) -> list[str]:
        """Human-readable summary."""
        rate = self.embedded / self.seconds if self.seconds > 0 and self.embedded else 0.0
        loaded = f"; model loaded in {self.load_seconds:.1f} s" if self.load_seconds >= 0.1 else ""
        out = [f"{self.embedded:,} papers embedded ({rate:,.0f}/s on {self.device or 'no device'}{loaded}), "
               f"{self.unchanged:,} unchanged"]
        if self.index is not None:
            out.append(self.index.line())
        return out


E: Table = PaperEmbedding.__table__  # type: ignore[assignment]
P: Table = Paper.__table__  # type: ignore[assignment]


def _pending_condition(model_id: str) -> Any:
    return or_(E.c.paper_id.is_(None), E.c.model_id != model_id, E.c.checked_at.is_(None),
               P.c.last_changed_at > E.c.checked_at, E.c.terms.is_(None))


def count_pending(conn: Connection, model_id: str = MODEL_ID) -> int:
    """How many papers the next backfill will look at."""
    stmt = (select(func.count()).select_from(P.outerjoin(E, E.c.paper_id == P.c.id))
            .where(_pending_condition(model_id)))
    return int(conn.execute(stmt).scalar_one())


def _next_pending(conn: Connection, after: int, limit: int, model_id: str) -> list[Any]:
    stmt = (select(P.c.id, P.c.title, P.c.abstract, E.c.model_id, E.c.content_hash,
                   E.c.terms.is_(None).label("no_terms"))
            .select_from(P.outerjoin(E, E.c.paper_id == P.c.id))
            .where(P.c.id > after, _pending_condition(model_id)).order_by(P.c.id).limit(limit))
    return list(conn.execute(stmt))


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    conn.execute(upsert(conn, PaperEmbedding, keys=["paper_id"],
                        update=["model_id", "content_hash", "vector", "terms", "embedded_at", "checked_at"])
                 .values(rows))


def _embed_batch(engine: Engine, rows: list[Any], read_at: datetime, encoder: TextEncoder,
                 report: EmbedReport, tick: Callable[[int], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
    """Embed the changed papers of one batch and commit them, with the unchanged ones marked checked."""
    texts = {r.id: paper_text(r.title, r.abstract) for r in rows}
    hashes = {pid: content_hash(t) for pid, t in texts.items()}
    same = [r.id for r in rows if r.model_id == encoder.model_id and r.content_hash == hashes[r.id]]
    unchanged = set(same)
    todo = [r.id for r in rows if r.id not in unchanged]
    load = getattr(encoder, "load", None)
    if todo and load is not None and not report.load_seconds:
        # Timed apart, so that the rate tells what embedding costs, not a first run's model build.
        started = clock()
        load()
        report.load_seconds = clock() - started
    vectors = (encoder.encode([texts[pid] for pid in todo], progress=tick) if todo
               else np.zeros((0, DIM), np.float32))
    # The word counts of every paper embedded now, and of unchanged ones stored before counts were kept.
    backfill = [r.id for r in rows if r.id in unchanged and r.no_terms]
    counted = todo + backfill
    counts = dict(zip(counted, terms.pack([texts[pid] for pid in counted]), strict=True))
    with engine.begin() as conn:
        # The time is taken inside the writing transaction, just before it commits: the index's watermark
        # relies on rows becoming visible in about the order of their ``embedded_at``.
        now, checked = datetime.now(UTC), read_at - CHECK_SLACK
        _upsert(conn, [{"paper_id": pid, "model_id": encoder.model_id, "content_hash": hashes[pid],
                        "vector": pack_vector(vec), "terms": counts[pid], "embedded_at": now,
                        "checked_at": checked}
                       for pid, vec in zip(todo, vectors, strict=True)])
        if same:
            conn.execute(update(PaperEmbedding).where(PaperEmbedding.paper_id.in_(same)).values(checked_at=checked))
        if backfill:  # one executemany, not a statement a paper
            conn.execute(update(E).where(E.c.paper_id == bindparam("pid")).values(terms=bindparam("counts")),
                         [{"pid": pid, "counts": counts[pid]} for pid in backfill])
    report.embedded += len(todo)
    report.unchanged += len(same)


def _partial(progress: Callable[[int, int], None] | None, done: int, total: int) -> Callable[[int], None] | None:
    """A per-text counter inside one batch, reporting to ``progress`` as papers already done plus these."""
    if progress is None:
        return None
    inside = 0

    def tick(n: int) -> None:
        nonlocal inside
        inside += n
        progress(done + inside, max(total, done + inside))

    return tick


def embed_pending(engine: Engine, settings: Settings | None = None, *, device: str = "auto",
                  batch: int = DEFAULT_BATCH, rebuild: bool = False,
                  progress: Callable[[int, int], None] | None = None, encoder: TextEncoder | None = None,
                  index_dir: Path | None = None, update_index: bool = True,
                  clock: Callable[[], float] = time.monotonic) -> EmbedReport:
    """Embed every pending paper in committed batches, then bring the ANN index file up to date.

    ``progress(done, total)`` counts papers: after each batch, and as the model works through one. ``rebuild``
    re-checks and re-embeds every paper (resumable too: the old vectors keep serving until each is replaced) and
    rebuilds the index file. ``clock`` (seconds) times the run.
    """
    from paperstand.search.ann import default_index_dir, sync_index_file

    if settings is None and (encoder is None or (update_index and index_dir is None)):
        raise ValueError("embed_pending: pass settings, or both an encoder and an index folder")
    if encoder is None:
        from paperstand.search.embedder import embedder_for

        assert settings is not None
        encoder = embedder_for(settings, device)
    report = EmbedReport(device=getattr(encoder, "device", ""))
    if rebuild:
        with engine.begin() as conn:
            conn.execute(update(PaperEmbedding).values(checked_at=None, content_hash=""))
    with engine.connect() as conn:
        total = count_pending(conn, encoder.model_id)
    started = clock()
    last, done = 0, 0
    while True:
        read_at = datetime.now(UTC)
        with engine.connect() as conn:
            rows = _next_pending(conn, last, max(1, batch), encoder.model_id)
        if not rows:
            break
        _embed_batch(engine, rows, read_at, encoder, report, _partial(progress, done, total), clock)
        last, done = rows[-1].id, done + len(rows)
        if progress is not None:
            progress(done, max(total, done))
    report.seconds = clock() - started - report.load_seconds
    report.device = getattr(encoder, "device", report.device)
    if update_index:
        folder = index_dir if index_dir is not None else default_index_dir(settings)  # type: ignore[arg-type]
        report.index = sync_index_file(engine, folder, rebuild=rebuild)
    return report
