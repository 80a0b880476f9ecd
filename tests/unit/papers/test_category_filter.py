"""Category matching: exact for a category, by prefix for an archive."""

from __future__ import annotations

import pytest

from paperstand.papers.category_filter import category_matches, split_categories


@pytest.mark.parametrize(("wanted", "category", "matches"), [
    ("cs", "cs.CL", True), ("cs", "cs.LG", True), ("cs", "cs", True), ("cs", "csx.AB", False),
    ("cs", "q-bio.BM", False), ("cs.CL", "cs.CL", True), ("cs.CL", "cs.CLX", False), ("cs.CL", "cs.LG", False),
    ("math", "math.AG", True), ("math", "math-ph", False), ("math.AG", "math.AG", True), ("math.AG", "math", False),
    ("hep-th", "hep-th", True), ("hep-th", "hep-ph", False), ("astro-ph", "astro-ph.CO", True),
    ("physics", "physics.optics", True),
])
def test_category_matches(wanted: str, category: str, matches: bool) -> None:
    assert category_matches(wanted, category) is matches


def test_split_into_archives_and_categories() -> None:
    assert split_categories(["cs", "cs.CL", "hep-th", "cs", "math.AG"]) == (("cs", "hep-th"), ("cs.CL", "math.AG"))
