"""arXiv's category taxonomy: the official spelling of every topic, and refusals that list the valid ones."""

from __future__ import annotations

import pytest

from paperstand.papers.categories import (
    ARCHIVES,
    CATEGORIES,
    UnknownCategory,
    canonical_topic,
    categories_of,
    category_groups,
)


def test_taxonomy_shape() -> None:
    """Twenty archives; each archive's categories carry its prefix; the undivided ones are categories."""
    assert len(ARCHIVES) == 20 and len(CATEGORIES) == 155
    assert categories_of("cs")[:3] == ["cs.AI", "cs.AR", "cs.CC"] and categories_of("cs")[-1] == "cs.SY"
    assert len(categories_of("cs")) == 40 and len(categories_of("math")) == 32
    assert categories_of("quant-ph") == ["quant-ph"] and categories_of("nope") == []
    for archive, _name, codes in category_groups():
        assert all(code == archive or code.startswith(archive + ".") for code, _ in codes)
    for code in ("cs.SY", "eess.SY", "math.ST", "stat.TH", "math-ph", "cond-mat.str-el", "physics.optics",
                 "q-bio.NC", "q-fin.EC", "econ.GN", "astro-ph.CO", "hep-lat", "nucl-th", "gr-qc", "nlin.CD"):
        assert code in CATEGORIES, code


@pytest.mark.parametrize(("typed", "official"), [
    ("cs.CL", "cs.CL"), ("cs.cl", "cs.CL"), (" CS.Lg ", "cs.LG"), ("cs", "cs"), ("Math", "math"),
    ("cond-mat.STR-EL", "cond-mat.str-el"), ("QUANT-PH", "quant-ph"), ("astro-ph", "astro-ph")])
def test_official_spelling(typed: str, official: str) -> None:
    """Any capitalisation of a category or archive becomes arXiv's spelling."""
    assert canonical_topic(typed) == official


def test_refusals_list_the_valid_ones() -> None:
    """An unknown category names its archive's categories (and a close one); an unknown archive lists archives."""
    with pytest.raises(UnknownCategory) as typo:
        canonical_topic("cs.LGG")
    assert str(typo.value).startswith("'cs.LGG' is not an arXiv category; did you mean cs.LG? cs has cs.AI, cs.AR,")
    assert str(typo.value).endswith("cs.SY, or cs alone for all of them")
    with pytest.raises(UnknownCategory) as unknown:
        canonical_topic("cs.XX")
    assert "did you mean" not in str(unknown.value)
    with pytest.raises(UnknownCategory) as archive:
        canonical_topic("foo")
    assert str(archive.value) == (
        "'foo' is not an arXiv category or archive; archives are astro-ph, cond-mat, cs, econ, eess, gr-qc, "
        "hep-ex, hep-lat, hep-ph, hep-th, math, math-ph, nlin, nucl-ex, nucl-th, physics, q-bio, q-fin, quant-ph, "
        "stat (e.g. cs, or cs.CL for one category)")
    for hostile in ("cs.\x00CL", "x" * 5000, "cs.CL; DROP TABLE", "hep-th.X"):
        with pytest.raises(UnknownCategory):
            canonical_topic(hostile)
