"""What the submission box takes: arXiv ids and arxiv.org links, and nothing else."""

from __future__ import annotations

import pytest

from paperstand.community.submissions import MAX_TEXT, parse_submission
from paperstand.errors import BadRequest
from paperstand.papers.ids import parse_arxiv_reference


@pytest.mark.parametrize(("text", "expected"), [
    ("2503.01234", ("2503.01234", None)),
    ("2503.01234v2", ("2503.01234", 2)),
    ("arXiv:2503.01234", ("2503.01234", None)),
    ("  arxiv: 2503.01234v3 ", ("2503.01234", 3)),
    ("https://arxiv.org/abs/2503.01234", ("2503.01234", None)),
    ("http://www.arxiv.org/abs/2503.01234v1/", ("2503.01234", 1)),
    ("https://arxiv.org/pdf/2503.01234v2.pdf", ("2503.01234", 2)),
    ("https://arxiv.org/pdf/2503.01234", ("2503.01234", None)),
    ("arxiv.org/html/2503.01234v1", ("2503.01234", 1)),
    ("https://export.arxiv.org/abs/2503.01234?context=cs.CL#section", ("2503.01234", None)),
    ("hep-th/9901001", ("hep-th/9901001", None)),
    ("https://arxiv.org/abs/hep-th/9901001v2", ("hep-th/9901001", 2)),
    ("math.AG/0601001", ("math/0601001", None)),  # the subject class was never part of the id
    ("1412.1234", ("1412.1234", None)),  # four digits until December 2014
    ("1501.00001", ("1501.00001", None)),  # five from January 2015
])
def test_accepted_forms(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_reference(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "2503.1234",  # four digits after 2015
    "1412.12345",  # five digits before 2015
    "2513.01234",  # month 13
    "0612.1234",  # new-style before April 2007
    "hep-th/0801001",  # old-style after March 2007
    "2503.01234v0", "2503.01234 2503.01235", "see 2503.01234",
    "https://evil.example/abs/2503.01234", "https://arxiv.org.evil.example/abs/2503.01234",
    "https://arxiv.org/list/cs.CL/new", "ftp://arxiv.org/abs/2503.01234", "javascript:alert(1)",
    "https://huggingface.co/papers/2503.01234", "<script>2503.01234</script>", "2503.01234\n2503.01235",
])
def test_anything_else_is_refused(text: str) -> None:
    assert parse_arxiv_reference(text) is None


def test_a_refusal_names_the_accepted_forms() -> None:
    with pytest.raises(BadRequest) as err:
        parse_submission("not a paper")
    assert err.value.message == "'not a paper' is not an arXiv id or arXiv link"
    assert err.value.hint is not None and "2503.01234v2" in err.value.hint and "arxiv.org/abs" in err.value.hint
    with pytest.raises(BadRequest, match="type an arXiv id"):
        parse_submission("  ")
    with pytest.raises(BadRequest):
        parse_submission("2503.01234" + " " * MAX_TEXT)  # too long to be read at all
    assert parse_submission(" https://arxiv.org/abs/2503.01234v4 ") == "2503.01234"
