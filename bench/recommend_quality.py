"""How good are /for-you's recommendations? Simulated members over the 23,730 real papers, four recommenders.

Each simulated member has one narrow theme: an arXiv category other than the four giants (cs.CV, cs.AI, cs.CL,
cs.LG), or a cluster of papers derived by k-means over tf-idf (LSA) vectors. They like 8 papers of their
theme announced in March–April; 5 other papers of the theme announced in May are held out. Every recommender
then ranks all May papers and keeps its top 20:

* paperstand: the member's taste model (``recommend.learn.train``: a logistic regression over the stored MiniLM
  vectors and one over the hashed, idf-weighted words and word pairs of title and abstract, the member's likes
  against random papers)
  ranked by ``recommend.learn.rank`` with the category affinity, as ``recommend.service`` trains and scores it;
* most upvoted: May's most upvoted papers, the votes of a simulated crowd (1,000 visitors, each with a category
  drawn by its share of papers, upvoting 5 May papers of it; the real data carries no votes);
* newest in the member's categories: May papers sharing a category with the liked ones, newest first;
* arxiv-sanity-lite: its recipe: tf-idf of title and abstract (word 1–2-grams, sublinear tf, max_df 0.1,
  min_df 5, 20,000 features) and a linear SVM (C=0.01, balanced classes), the liked papers against all others.

Reported per theme kind: the hit rate (share of held-out papers in the top 20) and the share of the top 20
inside the member's theme. The clusters come from tf-idf, so if anything they favour arxiv-sanity-lite.

    PAPERSTAND_SHARED_DIR=/work/shared nice -n 10 .venv/bin/python bench/recommend_quality.py [--seed 11]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recommend_corpus import Corpus, load_corpus, vectors  # noqa: E402

LIKED, HELD_OUT, TOP = 8, 5, 20
GIANTS = {"cs.CV", "cs.AI", "cs.CL", "cs.LG"}
# A theme needs enough papers on both sides of the split to draw a member from.
MIN_TRAIN, MIN_TEST = 30, 25
CLUSTERS = 80
CROWD, CROWD_VOTES = 1000, 5


@dataclass
class Member:
    """A simulated member: their theme (a set of paper rows), liked rows and held-out rows."""

    kind: str
    theme: set[int]
    liked: list[int]
    held: set[int]


def split(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """Rows announced in March–April (train) and in May (test)."""
    months = np.array([d.month for d in corpus.days])
    return np.flatnonzero((months == 3) | (months == 4)), np.flatnonzero(months == 5)


def tfidf(corpus: Corpus):  # type: ignore[no-untyped-def]
    """arxiv-sanity-lite's tf-idf of title and abstract."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    v = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
                        lowercase=True, analyzer="word", stop_words="english",
                        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2), max_features=20000,
                        norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True, max_df=0.1, min_df=5)
    return v.fit_transform([f"{t}. {a}" for t, a in zip(corpus.titles, corpus.abstracts, strict=True)])


def themes(corpus: Corpus, x_tfidf, train: np.ndarray, test: np.ndarray,  # type: ignore[no-untyped-def]
           seed: int) -> list[tuple[str, set[int]]]:
    """Narrow themes: the mid-sized categories and the tf-idf clusters with enough papers on each side."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD

    tr, te = set(train.tolist()), set(test.tolist())
    out: list[tuple[str, set[int]]] = []
    by_cat: dict[str, set[int]] = {}
    for row, cats in enumerate(corpus.categories):
        for c in cats:
            by_cat.setdefault(c, set()).add(row)
    for cat, rows in sorted(by_cat.items()):
        if cat not in GIANTS and len(rows & tr) >= MIN_TRAIN and len(rows & te) >= MIN_TEST:
            out.append(("category", rows))
    lsa = TruncatedSVD(128, random_state=seed).fit_transform(x_tfidf)
    lsa /= np.linalg.norm(lsa, axis=1, keepdims=True) + 1e-9
    labels = MiniBatchKMeans(CLUSTERS, random_state=seed, n_init=3).fit_predict(lsa)
    for k in range(CLUSTERS):
        rows = set(np.flatnonzero(labels == k).tolist())
        if len(rows & tr) >= MIN_TRAIN and len(rows & te) >= MIN_TEST and len(rows) <= 1500:
            out.append(("cluster", rows))
    return out


def members(themes_: list[tuple[str, set[int]]], train: np.ndarray, test: np.ndarray, per_theme: int,
            rng: np.random.Generator) -> list[Member]:
    """``per_theme`` members per category theme, one per cluster theme."""
    tr, te = set(train.tolist()), set(test.tolist())
    out = []
    for kind, rows in themes_:
        for _ in range(per_theme if kind == "category" else 1):
            liked = rng.choice(sorted(rows & tr), LIKED, replace=False).tolist()
            held = set(rng.choice(sorted(rows & te), HELD_OUT, replace=False).tolist())
            out.append(Member(kind, rows, liked, held))
    return out


def crowd_votes(corpus: Corpus, test: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Upvotes of the May papers by a simulated crowd (votes per row of the corpus)."""
    votes = np.zeros(len(corpus.ids))
    by_cat: dict[str, list[int]] = {}
    for row in test:
        for c in corpus.categories[row]:
            by_cat.setdefault(c, []).append(int(row))
    cats = sorted(by_cat)
    share = np.array([len(by_cat[c]) for c in cats], dtype=float)
    for c in rng.choice(cats, CROWD, p=share / share.sum()):
        pool = by_cat[str(c)]
        for row in rng.choice(pool, min(CROWD_VOTES, len(pool)), replace=False):
            votes[row] += 1
    return votes


def top_of(scores: np.ndarray, test: np.ndarray, exclude: set[int]) -> list[int]:
    """The ``TOP`` test rows of highest score (ties: later rows first, i.e. newer), none in ``exclude``."""
    order = test[np.lexsort((-test, -scores[test]))]
    return [int(r) for r in order if int(r) not in exclude][:TOP]


Recommender = Callable[[Member], list[int]]


def make_recommenders(corpus: Corpus, vecs: np.ndarray, x_tfidf, train: np.ndarray,  # type: ignore[no-untyped-def]
                      test: np.ndarray, votes: np.ndarray, seed: int) -> dict[str, Recommender]:
    """The four recommenders, each member -> its top 20 rows of the test period."""
    from sklearn import svm

    from paperstand.recommend import learn, wordmodel

    order_by_day = np.array([d.toordinal() for d in corpus.days], dtype=float)
    test_categories = [corpus.categories[r] for r in test]

    texts = [f"{t} {a}" for t, a in zip(corpus.titles, corpus.abstracts, strict=True)]
    # As stored per paper (search.terms): the May papers' word counts hashed once, not once per member.
    test_words = wordmodel.counts([texts[r] for r in test])

    def paperstand(m: Member) -> list[int]:
        rng = np.random.default_rng(seed + m.liked[0])
        randoms = rng.choice(len(corpus.ids), learn.RANDOM_NEGATIVES, replace=False)
        randoms = np.array([r for r in randoms if r not in set(m.liked)])
        # As recommend.training fits it: the embedding classifier and the word model of the same papers.
        words = (wordmodel.counts([texts[r] for r in m.liked]), wordmodel.counts([]),
                 wordmodel.counts([texts[r] for r in randoms]))
        taste = learn.train(vecs[m.liked], np.zeros((0, vecs.shape[1]), np.float32), vecs[randoms], words)
        # As recommend.service ranks a period's candidates: the model plus the category affinity, the
        # shortlist rescored with the words.
        affinity = learn.category_affinity([corpus.categories[r] for r in m.liked], test_categories)
        order, _ = learn.rank(taste, vecs[test], affinity, test, lambda rows: test_words[rows])
        liked = set(m.liked)
        return [int(test[i]) for i in order if int(test[i]) not in liked][:TOP]

    def popular(m: Member) -> list[int]:
        return top_of(votes + 1e-9 * order_by_day, test, set(m.liked))

    def newest(m: Member) -> list[int]:
        # The member's categories weighted by how many liked papers carry each: papers of the most liked
        # categories first, newest first among equals.
        weight = Counter(c for r in m.liked for c in corpus.categories[r])
        match = np.array([sum(weight[c] for c in cs) for cs in corpus.categories], dtype=float)
        return top_of(match * 1e6 + order_by_day, test, set(m.liked))

    def sanity(m: Member) -> list[int]:
        y = np.zeros(x_tfidf.shape[0])
        y[m.liked] = 1
        clf = svm.LinearSVC(class_weight="balanced", verbose=0, max_iter=10000, tol=1e-6, C=0.01)
        clf.fit(x_tfidf, y)
        return top_of(clf.decision_function(x_tfidf), test, set(m.liked))

    return {"paperstand": paperstand, "most upvoted": popular, "newest in categories": newest,
            "arxiv-sanity-lite": sanity}


def evaluate(recs: dict[str, Recommender], members_: list[Member]) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(recommender, theme kind or "all") -> (hit rate, in-theme share, seconds per member)."""
    out: dict[tuple[str, str], tuple[float, float, float]] = {}
    for name, rec in recs.items():
        rows: list[tuple[str, float, float, float]] = []
        for m in members_:
            started = time.monotonic()
            top = rec(m)
            rows.append((m.kind, len(m.held & set(top)) / len(m.held), sum(r in m.theme for r in top) / TOP,
                         time.monotonic() - started))
        for kind in ("category", "cluster", "all"):
            group = [r for r in rows if kind in ("all", r[0])]
            if group:
                out[(name, kind)] = (float(np.mean([g[1] for g in group])), float(np.mean([g[2] for g in group])),
                                     float(np.mean([g[3] for g in group])))
        print(f"  {name}: done", flush=True)
    return out


def main() -> None:
    """Run the simulation and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members-per-theme", type=int, default=2, help="members per category theme (default 2)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    corpus = load_corpus()
    started = time.monotonic()
    vecs = vectors(corpus)
    print(f"{len(corpus.ids):,} papers; vectors ready in {time.monotonic() - started:.0f} s")
    train, test = split(corpus)
    x = tfidf(corpus)
    rng = np.random.default_rng(args.seed)
    theme_list = themes(corpus, x, train, test, args.seed)
    sims = members(theme_list, train, test, args.members_per_theme, rng)
    kinds = Counter(m.kind for m in sims)
    print(f"{len(sims)} simulated members ({kinds['category']} over {kinds['category'] // args.members_per_theme} "
          f"categories, {kinds['cluster']} over tf-idf clusters); {LIKED} liked (Mar–Apr), {HELD_OUT} held out "
          f"(May); ranking the {len(test):,} May papers")
    recs = make_recommenders(corpus, vecs, x, train, test, crowd_votes(corpus, test, rng), args.seed)
    table = evaluate(recs, sims)
    print(f"\n| recommender | themes | hit rate (held-out in top {TOP}) | top {TOP} in theme | ms per member |")
    print("|---|---|---:|---:|---:|")
    for (name, kind), (hit, inside, secs) in table.items():
        print(f"| {name} | {kind} | {hit:.3f} | {inside:.3f} | {secs * 1000:.0f} |")
    ours = {k: v for (n, k), v in table.items() if n == "paperstand"}
    ahead = all(ours[k][0] > v[0] and ours[k][1] > v[1] for (n, k), v in table.items() if n != "paperstand")
    print(f"\npaperstand ahead of all three baselines on both measures, every theme kind: {'yes' if ahead else 'no'}")


if __name__ == "__main__":
    main()
