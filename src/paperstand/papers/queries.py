"""Read side of papers: the one data layer behind the pages, the JSON API and the CLI."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from paperstand.community.counts import comment_counts
from paperstand.community.vote_counts import count_column, local_counts, voted_among
from paperstand.papers.ids import is_local_key, split_arxiv_id
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.papers.periods import Period
from paperstand.ranking.models import TrendingScore

Sort = Literal["publishedAt", "trending"]


@dataclass
class PaperCard:
    """A paper with what lists show beside it: upvotes, signals and, when featured, the pick.

    ``local_upvotes`` are members' votes here; ``hf_upvotes`` the count imported from Hugging Face
    (``None`` when none was), a separate signal. ``voted``: the viewing member's vote, when one was asked for.
    """

    paper: Paper
    local_upvotes: int = 0
    hf_upvotes: int | None = None
    # Comments on Hugging Face, as last imported; ``local_comments`` are the visible ones posted here.
    num_comments: int = 0
    github_stars: int | None = None
    pick: DailyPick | None = None
    voted: bool = False
    local_comments: int = 0

    @property
    def upvotes(self) -> int:
        """Local and Hugging Face upvotes together: what "Top" orders by and the compatible API reports."""
        return self.local_upvotes + (self.hf_upvotes or 0)


def _signals(session: Session, paper_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if paper_ids:
        rows = session.execute(select(ExternalSignal.paper_id, ExternalSignal.name, ExternalSignal.value)
                               .where(ExternalSignal.paper_id.in_(paper_ids)))
        for pid, name, value in rows:
            out.setdefault(pid, {})[name] = value
    return out


def _cards(session: Session, rows: list[tuple[Paper, DailyPick | None]],
           member_id: int | None = None) -> list[PaperCard]:
    """Cards for ``rows``: one query each for the signals, the votes and the comments, whatever their number."""
    ids = [p.id for p, _ in rows]
    signals, votes, comments = _signals(session, ids), local_counts(session, ids), comment_counts(session, ids)
    voted = voted_among(session, member_id=member_id, paper_ids=ids) if member_id is not None else set()
    cards = []
    for paper, pick in rows:
        sig = signals.get(paper.id, {})
        cards.append(PaperCard(paper, local_upvotes=votes.get(paper.id, 0), hf_upvotes=sig.get("hf_upvotes"),
                               num_comments=sig.get("hf_comments", 0), github_stars=sig.get("github_stars"),
                               pick=pick, voted=paper.id in voted, local_comments=comments.get(paper.id, 0)))
    return cards


# A pick a moderator hid, or a curator removed, stays in the table (for the logs) but leaves every list.
_shown = DailyPick.hidden_at.is_(None)


def cards_for(session: Session, papers: list[Paper], *, member_id: int | None = None) -> list[PaperCard]:
    """Cards (with their signals and votes) for papers found some other way, e.g. by search; same order.

    ``member_id``: the viewing member, whose own votes the cards then mark (``voted``).
    """
    return _cards(session, [(p, None) for p in papers], member_id)


def _upvotes() -> Select[int, int]:
    return select(ExternalSignal.paper_id, ExternalSignal.value).where(ExternalSignal.name == "hf_upvotes")


def featured(session: Session, period: Period | None = None, *, sort: Sort | PageSort = "publishedAt",
             submitter: str | None = None, offset: int = 0, limit: int = 50,
             member_id: int | None = None) -> list[PaperCard]:
    """Papers featured in a period (all periods when ``None``), in the order ``sort`` names.

    ``publishedAt`` (the API's name) and ``curated`` keep each day's curated order, newest day first;
    ``trending`` puts the highest stored trending score first (papers without one after), then the most
    upvoted; ``top`` the most upvoted (local and Hugging Face upvotes together); ``new`` the most recently
    published on arXiv. ``member_id``: whose votes the cards mark.
    """
    votes = _upvotes().subquery()
    stmt = select(Paper, DailyPick).join(DailyPick, DailyPick.paper_id == Paper.id).outerjoin(
        votes, votes.c.paper_id == Paper.id).where(_shown)
    if sort == "trending":
        stmt = stmt.outerjoin(TrendingScore, TrendingScore.paper_id == Paper.id)
    if period is not None:
        stmt = stmt.where(DailyPick.day >= period.start, DailyPick.day < period.end)
    if submitter:
        stmt = stmt.where(DailyPick.submitted_by == submitter)
    order = [*_sort_keys(sort, func.coalesce(votes.c.value, 0) + count_column()), DailyPick.day.desc(),
             DailyPick.position, DailyPick.id]
    rows = session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()
    return _cards(session, list(rows), member_id)


def count_featured(session: Session, period: Period | None = None) -> int:
    """How many picks a period holds."""
    stmt = select(func.count()).select_from(DailyPick).where(_shown)
    if period is not None:
        stmt = stmt.where(DailyPick.day >= period.start, DailyPick.day < period.end)
    return int(session.execute(stmt).scalar_one())


def latest_day(session: Session) -> date | None:
    """The most recent day with featured papers."""
    return session.execute(select(func.max(DailyPick.day)).where(_shown)).scalar_one()


def neighbour_days(session: Session, day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have featured papers."""
    prev = session.execute(select(func.max(DailyPick.day)).where(DailyPick.day < day, _shown)).scalar_one()
    nxt = session.execute(select(func.min(DailyPick.day)).where(DailyPick.day > day, _shown)).scalar_one()
    return prev, nxt


def count_papers(session: Session) -> int:
    """How many papers are stored, featured or not."""
    return int(session.execute(select(func.count()).select_from(Paper)).scalar_one())


def _key(public_id: str) -> tuple[bool, str] | None:
    """What an id names a paper by: (True, local key) or (False, arXiv id without version); None if neither."""
    if is_local_key(public_id):
        return True, public_id
    parsed = split_arxiv_id(public_id)
    return (False, parsed[0]) if parsed is not None else None


def find_paper(session: Session, public_id: str) -> Paper | None:
    """A paper by arXiv id (with or without version, or an abs URL) or by local key."""
    key = _key(public_id)
    if key is None:
        return None
    column = Paper.local_key if key[0] else Paper.arxiv_id
    return session.execute(select(Paper).where(column == key[1])).scalar_one_or_none()


@dataclass(frozen=True)
class PaperRef:
    """Just enough of a paper to act on it and link to it, read without loading the whole row."""

    id: int
    arxiv_id: str | None
    local_key: str | None
    pdf_url: str | None

    @property
    def public_id(self) -> str:
        """The id used in URLs and the API, as ``Paper.public_id``."""
        return self.arxiv_id or self.local_key or str(self.id)


# Built once: a vote looks its paper up on every request, and building the statement costs more than running it.
_REF = select(Paper.id, Paper.arxiv_id, Paper.local_key, Paper.pdf_url)
_REF_BY = {True: _REF.where(Paper.local_key == bindparam("key")), False: _REF.where(Paper.arxiv_id == bindparam("key"))}


_REFS_BY = {True: _REF.where(Paper.local_key.in_(bindparam("keys", expanding=True))),
             False: _REF.where(Paper.arxiv_id.in_(bindparam("keys", expanding=True)))}


def find_paper_refs(session: Session, public_ids: Collection[str]) -> dict[str, PaperRef]:
    """``find_paper_ref`` for many ids in at most two statements: each id that names a stored paper, mapped to it."""
    wanted: dict[bool, dict[str, list[str]]] = {True: {}, False: {}}
    for public_id in set(public_ids):
        key = _key(public_id)
        if key is not None:
            wanted[key[0]].setdefault(key[1], []).append(public_id)
    found: dict[str, PaperRef] = {}
    for local, keys in wanted.items():
        if not keys:
            continue
        for row in session.connection().execute(_REFS_BY[local], {"keys": sorted(keys)}):
            ref = PaperRef(*row)
            for public_id in keys.get((ref.local_key if local else ref.arxiv_id) or "", []):
                found[public_id] = ref
    return found


def find_paper_ref(session: Session, public_id: str) -> PaperRef | None:
    """``find_paper``'s paper as a ``PaperRef``: for writes (a vote) that need its id and its address only."""
    key = _key(public_id)
    if key is None:
        return None
    row = session.connection().execute(_REF_BY[key[0]], {"key": key[1]}).first()
    return PaperRef(*row) if row is not None else None


def paper_card(session: Session, paper: Paper, *, member_id: int | None = None) -> PaperCard:
    """The card of one paper, with its most recent pick if it was ever featured (and ``member_id``'s vote)."""
    pick = session.execute(select(DailyPick).where(DailyPick.paper_id == paper.id, _shown)
                           .order_by(DailyPick.day.desc()).limit(1)).scalar_one_or_none()
    return _cards(session, [(paper, pick)], member_id)[0]


def pick_card(session: Session, pick: DailyPick) -> PaperCard:
    """The card of a paper as one pick features it (e.g. a submission just accepted)."""
    paper = session.get(Paper, pick.paper_id)
    if paper is None:
        raise LookupError(f"pick {pick.id} names no stored paper")
    return _cards(session, [(paper, pick)])[0]


@dataclass
class PeriodPage:
    """One page of the papers featured in a period, and the nearest featured days outside it."""

    period: Period
    cards: list[PaperCard]
    total: int
    page: int
    per_page: int
    prev_day: date | None
    next_day: date | None
    sort: PageSort = "top"

    @property
    def pages(self) -> int:
        """How many pages the period fills (at least one, so an empty period still has page 1)."""
        return max(1, -(-self.total // self.per_page))


def period_page(session: Session, period: Period, *, page: int = 1, per_page: int = 50,
                sort: PageSort = "top", member_id: int | None = None) -> PeriodPage:
    """Page ``page`` (1-based) of a period's featured papers, with the featured days just before and after."""
    cards = featured(session, period, sort=sort, offset=(page - 1) * per_page, limit=per_page,
                     member_id=member_id)
    prev_day, _ = neighbour_days(session, period.start)
    # ``end`` is exclusive: the last day inside the period is the day before it.
    _, next_day = neighbour_days(session, period.end - timedelta(days=1))
    return PeriodPage(period, cards, count_featured(session, period), page, per_page, prev_day, next_day, sort)


# The orders a day, week or month page offers, as its ``?sort=`` takes them; "top" first, the default,
# as on the page we imitate.
PageSort = Literal["top", "curated", "new"]
PAGE_SORTS: tuple[PageSort, ...] = ("top", "curated", "new")


def _sort_keys(sort: Sort | PageSort, upvotes: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """The leading ORDER BY keys of a sort; the curated order (day, position) always follows as tie-break."""
    if sort == "trending":
        # The same stored score as /papers/trending; NULLs sort differently on the two databases.
        return [TrendingScore.score.is_(None), TrendingScore.score.desc(), upvotes.desc()]
    if sort == "top":
        return [upvotes.desc()]
    if sort == "new":
        # Papers without an arXiv date go last on both databases (their NULL ordering differs).
        return [Paper.published_at.is_(None), Paper.published_at.desc()]
    return []


def find_card(session: Session, public_id: str, *, member_id: int | None = None) -> PaperCard | None:
    """The card (paper, signals, votes, latest pick) of the paper an id names, or ``None``."""
    paper = find_paper(session, public_id)
    return paper_card(session, paper, member_id=member_id) if paper is not None else None
