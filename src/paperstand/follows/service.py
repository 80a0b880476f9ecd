"""Following authors, members, categories and saved searches: normalise, follow, unfollow, list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.accounts.names import name_key
from paperstand.dialect import insert_or_ignore
from paperstand.errors import BadRequest, NotFound
from paperstand.follows.models import FOLLOW_KINDS, Follow
from paperstand.search.query import SearchSyntaxError, canonical_category, parse_query, words

# The most follows one member keeps: enough for a field's authors and topics, and it bounds the matcher's work.
MAX_FOLLOWS = 500
# The longest value a follow takes (the column holds 500 characters).
MAX_VALUE = 300
_NOT_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# What each kind is called in messages and on /following.
KIND_WORDS = {"author": "author", "member": "member", "category": "category", "search": "saved search"}


@dataclass(frozen=True)
class Target:
    """What a follow points at, normalised: its kind, the key it matches by and the label it shows."""

    kind: str
    key: str
    label: str


def clean_value(text: str, kind: str) -> str:
    """The value as typed, trimmed, spaces collapsed; a 400 for empty, overlong or control-laden text."""
    if _NOT_TEXT.search(text):
        raise BadRequest(f"follow: the {KIND_WORDS.get(kind, kind)} contains control characters",
                         hint="Type it again without them.")
    value = " ".join(unicodedata.normalize("NFC", text).split())
    if not value:
        raise BadRequest(f"follow: say which {KIND_WORDS.get(kind, kind)} to follow")
    if len(value) > MAX_VALUE:
        raise BadRequest(f"follow: at most {MAX_VALUE} characters; this one has {len(value):,}")
    return value


@lru_cache(maxsize=65536)  # the same authors recur across the papers a page matches
def author_key(name: str) -> str:
    """An author's name folded for matching: case, accents' composition and punctuation do not count."""
    return " ".join(words(unicodedata.normalize("NFKC", name).casefold()))


def target(session: Session, *, kind: str, value: str) -> Target:
    """``value`` as a follow of ``kind``, normalised; a 400 (or 404 for an unknown member) says what is wrong."""
    if kind not in FOLLOW_KINDS:
        raise BadRequest(f"follow: kind must be one of {', '.join(FOLLOW_KINDS)}",
                         hint="author (a name as printed), member (a user name), category (cs.CL or cs), "
                              "search (a query).")
    value = clean_value(value, kind)
    if kind == "author":
        key = author_key(value)
        if not key:
            raise BadRequest("follow: an author's name needs letters")
        return Target(kind, key, value)
    if kind == "member":
        member = session.scalar(select(Member).where(Member.name_key == name_key(value.removeprefix("@"))))
        if member is None:
            raise NotFound(f"follow: no member is called {value!r}")
        return Target(kind, str(member.id), member.name)
    if kind == "category":
        try:
            category = canonical_category(value)
        except SearchSyntaxError as exc:
            raise BadRequest(f"follow: {value!r} is not an arXiv category or archive",
                             hint="Use a category such as cs.CL, or a whole archive such as cs.") from exc
        return Target(kind, category, category)
    try:
        if parse_query(value).is_empty:
            raise BadRequest("follow: the search has no words or filters to match")
    except SearchSyntaxError as exc:
        raise BadRequest(str(exc).replace("search:", "follow: the search's", 1)) from exc
    return Target(kind, value, value)


def follow(session: Session, *, member_id: int, kind: str, value: str, now: datetime) -> Target:
    """Follow ``value``; following it again changes nothing. Commits."""
    found = target(session, kind=kind, value=value)
    count = session.scalar(select(func.count()).select_from(Follow).where(Follow.member_id == member_id)) or 0
    if count >= MAX_FOLLOWS and not _has(session, member_id, found):
        raise BadRequest(f"follow: you follow {count} things already, the most one account keeps",
                         hint="Remove some on /following first.")
    session.execute(insert_or_ignore(session, Follow, keys=["member_id", "kind", "key"]),
                    [{"member_id": member_id, "kind": found.kind, "key": found.key, "label": found.label,
                      "created_at": now}])
    session.commit()
    return found


def unfollow(session: Session, *, member_id: int, kind: str, value: str) -> Target:
    """Stop following ``value``; unfollowing what one does not follow changes nothing. Commits."""
    found = target(session, kind=kind, value=value)
    session.execute(delete(Follow).where(Follow.member_id == member_id, Follow.kind == found.kind,
                                         Follow.key == found.key))
    session.commit()
    return found


def unfollow_id(session: Session, *, member_id: int, follow_id: int) -> Follow | None:
    """Remove one of the member's follows by id (the remove buttons of /following); ``None`` if gone. Commits."""
    row = session.get(Follow, follow_id) if 0 < follow_id < 2**31 else None
    if row is None or row.member_id != member_id:
        return None
    session.delete(row)
    session.commit()
    return row


def follows_of(session: Session, *, member_id: int) -> list[Follow]:
    """The member's follows, by kind then label."""
    return list(session.scalars(select(Follow).where(Follow.member_id == member_id)
                                .order_by(Follow.kind, Follow.label, Follow.id)))


def followed_keys(session: Session, *, member_id: int | None) -> set[tuple[str, str]]:
    """``(kind, key)`` of everything the member follows (empty for nobody): the buttons' state."""
    if member_id is None:
        return set()
    return {(k, key) for k, key in session.execute(select(Follow.kind, Follow.key)
                                                   .where(Follow.member_id == member_id))}


def _has(session: Session, member_id: int, found: Target) -> bool:
    return session.scalar(select(Follow.id).where(Follow.member_id == member_id, Follow.kind == found.kind,
                                                  Follow.key == found.key)) is not None
