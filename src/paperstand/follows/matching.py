"""Which papers a member's follows match, and why: one sentence per matching follow.

The matching itself (:func:`reasons_for`) is pure; :func:`follow_matches` reads the follows, the papers and
the approved author claims it needs, in three queries, and applies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim
from paperstand.follows.models import Follow
from paperstand.follows.service import author_key
from paperstand.papers.models import Paper
from paperstand.search.query import ParsedQuery, SearchSyntaxError, parse_query, words

# How many of the newest papers /following looks through for matches: recent enough to be news, and a
# bounded amount of matching per page view whatever the size of the library.
RECENT_WINDOW = 3000
# Papers matched at a time while a page of /following fills.
SLICE = 500


@dataclass(frozen=True)
class PaperFacts:
    """What matching reads of a paper."""

    paper_id: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: date | None
    # Members whose claim to be one of its authors a moderator approved.
    claimed_by: frozenset[int] = frozenset()

    # Worked out once per paper, however many follows are matched against it (a page matches thousands of
    # papers against dozens of follows: tokenising per follow was most of its time).
    @cached_property
    def lower_text(self) -> str:
        """Title and abstract lower-cased: a word missing from it is missing from the words (a cheap first test)."""
        return f"{self.title}\n{self.abstract}".lower()

    @cached_property
    def text_words(self) -> list[str]:
        """The title's and abstract's words, in order."""
        return words(f"{self.title}\n{self.abstract}")

    @cached_property
    def word_set(self) -> frozenset[str]:
        """The same words as a set."""
        return frozenset(self.text_words)

    @cached_property
    def author_words(self) -> list[list[str]]:
        """Each author's name as words."""
        return [words(a) for a in self.authors]

    @cached_property
    def author_keys(self) -> frozenset[str]:
        """Each author's name folded as a follow's key is."""
        return frozenset(author_key(a) for a in self.authors)


@dataclass(frozen=True)
class Rule:
    """One follow, ready to match: its kind, key, label and (for a search) the parsed query."""

    kind: str
    key: str
    label: str
    query: ParsedQuery | None = None


def rules_of(follows: Iterable[Follow], member_names: dict[int, str] | None = None) -> list[Rule]:
    """The follows as rules; a saved search that no longer parses is left out rather than failing a page."""
    rules = []
    for f in follows:
        query = None
        if f.kind == "search":
            try:
                query = parse_query(f.key)
            except SearchSyntaxError:
                continue
        label = (member_names or {}).get(int(f.key), f.label) if f.kind == "member" else f.label
        rules.append(Rule(f.kind, f.key, label, query))
    return rules


def _adjacent(needle: Sequence[str], hay: Sequence[str]) -> bool:
    """Whether the words of ``needle`` occur one after another in ``hay``."""
    n, first, rest = len(needle), needle[0] if needle else "", list(needle[1:])
    return n > 0 and any(w == first and list(hay[i + 1:i + n]) == rest for i, w in enumerate(hay[:len(hay) - n + 1]))


def query_matches(q: ParsedQuery, paper: PaperFacts) -> bool:
    """Whether a saved search matches a paper: every word and phrase, no excluded one, every filter.

    Stricter than the search page's ranking (where any word may match): an alert must be about the
    whole search, or "diffusion policy" would announce every paper on diffusion.
    """
    if q.categories and not any(category_in(c, paper.categories) for c in q.categories):
        return False
    if q.date_from and (paper.published is None or paper.published < q.date_from):
        return False
    if q.date_to and (paper.published is None or paper.published > q.date_to):
        return False
    lower = paper.lower_text
    if not all(t in lower for t in q.terms) or not all(p in lower for p in q.phrases):
        return False
    present = paper.word_set
    if not all(t in present for t in q.terms):
        return False
    text = paper.text_words
    if not all(_adjacent(p.split(), text) for p in q.phrases) or any(_adjacent(x.split(), text) for x in q.excluded):
        return False
    return all(any(_adjacent(a.split(), n) for n in paper.author_words) for a in q.authors)


def category_in(wanted: str, categories: Sequence[str]) -> str | None:
    """The paper category a followed one matches: exact ("cs.CL"), or any of an archive ("cs" ⊃ "cs.CL")."""
    for cat in categories:
        if cat == wanted or ("." not in wanted and cat.split(".", 1)[0] == wanted):
            return cat
    return None


def reasons_for(paper: PaperFacts, rules: Sequence[Rule]) -> list[str]:
    """Why this paper is news to the member, one sentence per matching follow, in the rules' order. Pure."""
    reasons: list[str] = []
    for rule in rules:
        by_author = rule.kind == "author" and rule.key in paper.author_keys
        if by_author or (rule.kind == "member" and rule.key.isdigit() and int(rule.key) in paper.claimed_by):
            reasons.append(f"new paper by {rule.label}, whom you follow")
        elif rule.kind == "category" and (cat := category_in(rule.key, paper.categories)):
            reasons.append(f"in {cat}, which you follow" if cat == rule.key
                           else f"in {cat} ({rule.key}), which you follow")
        elif rule.kind == "search" and rule.query is not None and query_matches(rule.query, paper):
            reasons.append(f"matches your saved search “{rule.label}”")
    return list(dict.fromkeys(reasons))


def _facts(session: Session, paper_ids: Sequence[int], claimants: set[int]) -> list[PaperFacts]:
    rows = session.execute(select(Paper.id, Paper.title, Paper.abstract, Paper.authors, Paper.categories,
                                  Paper.published_at).where(Paper.id.in_(paper_ids))).all()
    claimed: dict[int, set[int]] = {}
    if claimants:
        for pid, mid in session.execute(select(AuthorClaim.paper_id, AuthorClaim.member_id).where(
                AuthorClaim.status == "approved", AuthorClaim.member_id.in_(claimants),
                AuthorClaim.paper_id.in_(paper_ids))):
            claimed.setdefault(pid, set()).add(mid)
    return [PaperFacts(pid, title or "", abstract or "", tuple(authors or ()), tuple(cats or ()),
                       published.date() if isinstance(published, datetime) else None,
                       frozenset(claimed.get(pid, ()))) for pid, title, abstract, authors, cats, published in rows]


def paper_facts(session: Session, paper_ids: Sequence[int]) -> list[PaperFacts]:
    """What matching reads of these papers, in their order, with every approved claimant: for a caller that
    matches many members against the same papers (a digest run), so each paper is read and tokenised once."""
    found: dict[int, PaperFacts] = {}
    for start in range(0, len(paper_ids), 900):
        chunk = paper_ids[start:start + 900]
        claimants = set(session.scalars(select(AuthorClaim.member_id).distinct().where(
            AuthorClaim.status == "approved", AuthorClaim.paper_id.in_(chunk))))
        found.update((f.paper_id, f) for f in _facts(session, chunk, claimants))
    return [found[pid] for pid in paper_ids if pid in found]


def member_rules(session: Session, *, member_id: int) -> list[Rule]:
    """The member's follows as rules, followed members under their current display name."""
    follows = list(session.scalars(select(Follow).where(Follow.member_id == member_id).order_by(Follow.id)))
    ids = [int(f.key) for f in follows if f.kind == "member" and f.key.isdigit()]
    names = {mid: display or name for mid, name, display in session.execute(
        select(Member.id, Member.name, Member.display_name).where(Member.id.in_(ids)))} if ids else {}
    return rules_of(follows, names)


def follow_matches(session: Session, *, member_id: int, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    """For each of ``paper_ids`` the member's follows match, the reasons (papers nothing matches are absent)."""
    rules = member_rules(session, member_id=member_id)
    if not rules or not paper_ids:
        return {}
    claimants = {int(r.key) for r in rules if r.kind == "member" and r.key.isdigit()}
    found = {}
    for start in range(0, len(paper_ids), 900):  # SQLite binds at most a few thousand values per statement
        for paper in _facts(session, paper_ids[start:start + 900], claimants):
            reasons = reasons_for(paper, rules)
            if reasons:
                found[paper.paper_id] = reasons
    return found


def newest_matches(session: Session, *, member_id: int, limit: int, offset: int = 0) -> list[tuple[Paper, list[str]]]:
    """The newest papers (of the last :data:`RECENT_WINDOW`) the member's follows match, with reasons.

    Papers are matched newest first, a slice at a time, until the page is full: a member whose follows
    match often costs one slice, not the whole window.
    """
    ids = list(session.scalars(select(Paper.id).where(Paper.published_at.is_not(None))
                               .order_by(Paper.published_at.desc(), Paper.id.desc()).limit(RECENT_WINDOW)))
    matches: dict[int, list[str]] = {}
    for start in range(0, len(ids), SLICE):
        matches.update(follow_matches(session, member_id=member_id, paper_ids=ids[start:start + SLICE]))
        if len(matches) >= offset + limit:
            break
    chosen = [pid for pid in ids if pid in matches][offset:offset + limit]
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(chosen)))} if chosen else {}
    return [(papers[pid], matches[pid]) for pid in chosen]
