"""The follow matcher's reasons, and a saved search's keyword matching, on hand-made papers."""

from __future__ import annotations

from datetime import date

from paperstand.follows.matching import PaperFacts, Rule, category_in, query_matches, reasons_for
from paperstand.follows.service import author_key
from paperstand.search.query import parse_query

PAPER = PaperFacts(7, "Diffusion Policy for Robot Grasping", "We learn a diffusion policy from demonstrations.",
                   ("Yann LeCun", "Zoë Ámbar-Ruiz"), ("cs.RO", "cs.LG"), date(2025, 3, 11), frozenset({42}))


def _search(q: str) -> Rule:
    return Rule("search", q, q, parse_query(q))


def test_each_kind_gives_its_sentence_in_the_rules_order() -> None:
    rules = [Rule("category", "cs.RO", "cs.RO"), Rule("author", "yann lecun", "Yann LeCun"),
             Rule("member", "42", "Kofi"), _search("diffusion policy"), Rule("category", "cs", "cs"),
             Rule("author", "geoffrey hinton", "Geoffrey Hinton"), Rule("member", "43", "Ines"),
             Rule("category", "hep-th", "hep-th")]
    assert reasons_for(PAPER, rules) == [
        "in cs.RO, which you follow", "new paper by Yann LeCun, whom you follow", "new paper by Kofi, whom you follow",
        "matches your saved search “diffusion policy”", "in cs.RO (cs), which you follow"]


def test_author_keys_fold_case_spacing_and_punctuation_but_keep_letters() -> None:
    assert author_key("  YANN   LeCun ") == "yann lecun" == author_key("Yann LeCun")
    assert author_key("Zoë Ámbar-Ruiz") == "zoë ámbar-ruiz" != author_key("Zoe Ambar-Ruiz")
    assert reasons_for(PAPER, [Rule("author", author_key("ZOË ámbar-ruiz"), "Zoë")]) == [
        "new paper by Zoë, whom you follow"]


def test_a_saved_search_needs_every_word_and_every_filter() -> None:
    matches = {q: query_matches(parse_query(q), PAPER) for q in [
        "diffusion policy", "diffusion transformer", '"policy for robot"', '"robot policy"', "diffusion -grasping",
        "diffusion -demonstrations", 'author:"lecun"', "author:hinton", "cat:cs.RO", "cat:cs", "cat:math",
        "grasping from:2025-03", "grasping from:2025-04", "grasping to:2025-03-10", "year:2025 policy"]}
    assert matches == {
        "diffusion policy": True, "diffusion transformer": False, '"policy for robot"': True, '"robot policy"': False,
        "diffusion -grasping": False, "diffusion -demonstrations": False, 'author:"lecun"': True,
        "author:hinton": False, "cat:cs.RO": True, "cat:cs": True, "cat:math": False, "grasping from:2025-03": True,
        "grasping from:2025-04": False, "grasping to:2025-03-10": False, "year:2025 policy": True}


def test_archives_match_their_categories_only() -> None:
    assert category_in("cs", ["cs.CL"]) == "cs.CL"
    assert category_in("cs.CL", ["cs.CLX", "cs.CL"]) == "cs.CL"
    assert category_in("cs", ["physics.cs-ph"]) is None and category_in("cs.CL", ["cs"]) is None
