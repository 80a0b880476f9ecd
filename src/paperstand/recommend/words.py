"""The words a recommended paper shares with the papers a member liked, weighed by tf-idf. Pure."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from paperstand.search.query import STOPWORDS

_WORD = re.compile(r"[a-z][a-z0-9]+(?:-[a-z0-9]+)*")
# Words of abstracts that say nothing about a topic (beyond the search stopwords): they would top any list.
ABSTRACT_STOPWORDS = STOPWORDS | frozenset({
    "paper", "about", "propose", "proposed", "method", "methods", "approach", "results", "show", "also", "based",
    "using",
    "use", "used", "which", "these", "their", "than", "such", "into", "has", "have", "been", "not", "more",
    "both", "new", "two", "one", "however", "while", "each", "other", "over", "across", "work", "via", "all",
    "can", "may", "then", "there", "they", "them", "it", "its", "well", "existing", "first", "further", "only",
    "through", "between", "without", "within", "different", "significantly", "achieve", "achieves", "present",
    "demonstrate", "experiments", "extensive", "performance", "state-of-the-art", "novel", "task", "tasks",
    "model", "models", "data", "framework", "study", "problem", "terms", "our", "we", "introduce", "including",
})
# Words shorter than this are mostly abbreviations of nothing in particular ("ie", "eg").
MIN_LENGTH = 3


def tokens(text: str) -> list[str]:
    """The content words of ``text``, lower-cased, in order."""
    return [w for w in _WORD.findall(text.lower()) if len(w) >= MIN_LENGTH and w not in ABSTRACT_STOPWORDS]


def document_frequencies(docs: Sequence[Sequence[str]]) -> Counter[str]:
    """In how many of ``docs`` each word appears."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    return df


def idf(word: str, df: Counter[str], n_docs: int) -> float:
    """Smoothed inverse document frequency (as scikit-learn's ``smooth_idf``): ``ln((1+n)/(1+df)) + 1``."""
    return math.log((1 + n_docs) / (1 + df.get(word, 0))) + 1.0


def shared_words(doc: Sequence[str], profile: Counter[str], df: Counter[str], n_docs: int,
                 limit: int = 3) -> list[str]:
    """The ``limit`` words of ``doc`` that weigh most in both it and the liked papers' ``profile``.

    A word's weight is its tf-idf in the paper times its tf-idf in the profile (the liked papers' words
    counted together): a word frequent in both and rare in the corpus leads.
    """
    counts = Counter(doc)
    scored = [(counts[w] * profile[w] * idf(w, df, n_docs) ** 2, w) for w in counts if w in profile]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [w for _, w in scored[:limit]]
