"""Why a paper is recommended, in words: the liked papers it is close to, the words it shares, the follows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.recommend import words
from paperstand.recommend.signals import VERBS, Signal

# Cosine similarity (MiniLM, unit vectors) from which a liked paper counts as "close": papers on the same
# narrow topic are typically 0.5–0.8 apart, unrelated ones of the same field 0.1–0.3.
CLOSE_COSINE = 0.45
# Liked papers named in one reason: enough to show a pattern, short enough to read.
MAX_NAMED = 3
# Titles longer than this are cut in a reason.
TITLE_CHARS = 70


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1].rstrip() + "…"


def verb_of(paper_ids: Sequence[int], kinds: dict[int, str]) -> str:
    """"saved", "upvoted" or "liked": the one kind the named papers share, else "liked"."""
    found = {kinds.get(p, "like") for p in paper_ids}
    return VERBS[found.pop()] if len(found) == 1 else "liked"


def close_reason(sims: np.ndarray, liked_ids: Sequence[int], titles: dict[int, str], kinds: dict[int, str]) -> str:
    """"Close to 2 papers you saved: “A”, “B”", or, with none close, the single nearest liked paper."""
    order = np.argsort(-sims, kind="stable")
    close = [liked_ids[i] for i in order[:MAX_NAMED] if sims[i] >= CLOSE_COSINE]
    if not close:
        nearest = liked_ids[int(order[0])]
        return f"Nearest to “{_short(titles.get(nearest, ''))}”, which you {verb_of([nearest], kinds)}"
    count = int((sims >= CLOSE_COSINE).sum())
    named = ", ".join(f"“{_short(titles.get(p, ''))}”" for p in close)
    noun = "paper" if count == 1 else "papers"
    return f"Close to {count} {noun} you {verb_of(close, kinds)}: {named}"


def words_reason(shared: list[str]) -> str | None:
    """"Shares the words: diffusion, denoising" or ``None`` without any."""
    return f"Shares the words: {', '.join(shared)}" if shared else None


def liked_titles(session: Session, paper_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Title and abstract of each of the papers (the liked ones, or those shown)."""
    out: dict[int, tuple[str, str]] = {}
    ids = list(paper_ids)
    for i in range(0, len(ids), 900):
        for pid, title, abstract in session.execute(
                select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(ids[i:i + 900]))):
            out[pid] = (title, abstract or "")
    return out


def follow_reasons(session: Session, member_id: int, paper_ids: list[int]) -> dict[int, list[str]]:
    """The follows each paper matches, as sentences: the hook to ``paperstand.follows.matching.follow_matches``.

    Until that module is part of the installed package there are none, and the other reasons stand alone.
    """
    try:
        from paperstand.follows.matching import follow_matches  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    found: dict[int, list[str]] = follow_matches(session, member_id=member_id, paper_ids=paper_ids)
    return found


def reasons_for(top: list[int], sims: np.ndarray, texts: dict[int, str], liked_ids: list[int],
                liked_text: dict[int, tuple[str, str]], kinds: dict[int, str],
                follows: dict[int, list[str]]) -> dict[int, list[str]]:
    """The reasons of each paper of ``top`` (``sims``: their cosines to the liked papers, one row each)."""
    liked_tokens = [words.tokens(f"{t} {a}") for t, a in liked_text.values()]
    cand_tokens = {pid: words.tokens(texts.get(pid, "")) for pid in top}
    docs = liked_tokens + list(cand_tokens.values())
    df = words.document_frequencies(docs)
    profile: Counter[str] = Counter()
    for doc in liked_tokens:
        profile.update(doc)
    titles = {p: t for p, (t, _) in liked_text.items()}
    out: dict[int, list[str]] = {}
    for row, pid in enumerate(top):
        reasons = list(follows.get(pid, []))  # the follows' own sentences, first: the most concrete reason
        reasons.append(close_reason(sims[row], liked_ids, titles, kinds))
        shared = words_reason(words.shared_words(cand_tokens[pid], profile, df, len(docs)))
        if shared:
            reasons.append(shared)
        out[pid] = reasons
    return out


def kinds_of(signals: list[Signal]) -> dict[int, str]:
    """The strongest kind of positive signal per paper: a save, then a 👍, then an upvote."""
    rank = {"save": 0, "like": 1, "upvote": 2}
    out: dict[int, str] = {}
    for s in signals:
        if s.label > 0 and (s.paper_id not in out or rank[s.kind] < rank[out[s.paper_id]]):
            out[s.paper_id] = s.kind
    return out
