"""What a member told us about papers: upvotes, saves and 👍 (positive), 👎 and "not interested" (negative)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.community.models import Vote
from paperstand.library.models import Collection, CollectionItem
from paperstand.recommend.models import PaperRating, Taste

# The kinds of signal, as the signals page and the reasons name them.
UPVOTE, SAVE, LIKE, DISLIKE = "upvote", "save", "like", "dislike"
# The verb of each kind in a reason ("close to 3 papers you saved").
VERBS = {UPVOTE: "upvoted", SAVE: "saved", LIKE: "liked", DISLIKE: "marked not for you"}


@dataclass(frozen=True)
class Signal:
    """One signal: a paper, whether it counts for (+1) or against (-1), its kind and when it was given."""

    paper_id: int
    label: int
    kind: str
    at: datetime
    source: str = ""


def taste_of(session: Session, member_id: int) -> Taste | None:
    """The member's personalisation settings, or ``None`` before their first visit."""
    return session.get(Taste, member_id)


def _since(taste: Taste | None) -> datetime | None:
    return taste.reset_at if taste is not None else None


def raw_signals(session: Session, member_id: int, since: datetime | None = None) -> list[Signal]:
    """Every signal of the member given after ``since`` (all of them when ``None``), newest first."""
    votes = select(Vote.paper_id, Vote.created_at).where(Vote.member_id == member_id)
    saves = (select(CollectionItem.paper_id, CollectionItem.added_at)
             .join(Collection, Collection.id == CollectionItem.collection_id)
             .where(Collection.member_id == member_id))
    ratings = (select(PaperRating.paper_id, PaperRating.rating, PaperRating.created_at, PaperRating.source)
               .where(PaperRating.member_id == member_id))
    if since is not None:
        votes = votes.where(Vote.created_at > since)
        saves = saves.where(CollectionItem.added_at > since)
        ratings = ratings.where(PaperRating.created_at > since)
    out = [Signal(pid, 1, UPVOTE, at) for pid, at in session.execute(votes)]
    out += [Signal(pid, 1, SAVE, at) for pid, at in session.execute(saves)]
    out += [Signal(pid, 1 if r > 0 else -1, LIKE if r > 0 else DISLIKE, at, src)
            for pid, r, at, src in session.execute(ratings)]
    out.sort(key=lambda s: (s.at, s.paper_id), reverse=True)
    return out


def member_signals(session: Session, member_id: int) -> list[Signal]:
    """The member's signals since their last reset, newest first."""
    return raw_signals(session, member_id, _since(taste_of(session, member_id)))


def since_reset(signals: list[Signal], taste: Taste | None) -> list[Signal]:
    """Those of ``signals`` given after the member's last reset."""
    since = _since(taste)
    return signals if since is None else [s for s in signals if s.at > since]


def labels(signals: list[Signal]) -> dict[int, int]:
    """One label per paper: an explicit rating wins over an upvote or save (a 👎 on a saved paper is a 👎)."""
    out: dict[int, int] = {}
    for s in signals:
        if s.kind in (LIKE, DISLIKE):
            out[s.paper_id] = s.label
        else:
            out.setdefault(s.paper_id, s.label)
    return out


def seen_papers(session: Session, member_id: int) -> set[int]:
    """Every paper the member voted on, saved or rated, whenever: never recommended again."""
    return {s.paper_id for s in raw_signals(session, member_id)}
