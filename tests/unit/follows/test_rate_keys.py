"""The digest's signed 👍/👎 keys, the sentence a rating page says, and how an alert reads."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from paperstand.digests.ratings import RateKey, RatingChange, make_rate_key, read_rate_key
from paperstand.follows.alerts import Alert

SECRET = b"unit-secret"


def test_a_key_reads_back_and_nothing_else_does() -> None:
    up = make_rate_key(SECRET, member_id=7, paper_id=2**40, rating=1)
    down = make_rate_key(SECRET, member_id=7, paper_id=2**40, rating=-1)
    assert read_rate_key(SECRET, up) == RateKey(7, 2**40, 1) and read_rate_key(SECRET, down) == RateKey(7, 2**40, -1)
    assert up != down and len(up) == 44 and up.isascii()
    assert read_rate_key(b"other-secret", up) is None
    assert read_rate_key(SECRET, up[:-1]) is None and read_rate_key(SECRET, up + "A") is None
    assert read_rate_key(SECRET, "") is None and read_rate_key(SECRET, "!!!!") is None
    assert read_rate_key(SECRET, "\ud800" * 44) is None
    # Another member's key with this one's signature: the signature covers all three numbers.
    other = make_rate_key(SECRET, member_id=8, paper_id=2**40, rating=1)
    assert read_rate_key(SECRET, other[:11] + up[11:]) is None


def test_the_rating_page_says_what_changed() -> None:
    paper: Any = SimpleNamespace(title="Sparse Lanterns")
    assert RatingChange(paper, None, 1).sentence == "Recorded 👍 (more like this) for “Sparse Lanterns”."
    assert RatingChange(paper, 1, -1).sentence == \
        "Changed your rating of “Sparse Lanterns” from 👍 to 👎 (fewer like this)."
    assert RatingChange(paper, -1, -1).sentence == \
        "You had already rated “Sparse Lanterns” 👎 (fewer like this): nothing changed."


def test_alerts_in_words() -> None:
    def alert(kind: str, detail: str) -> str:
        return Alert(1, "T", "/papers/1", kind, detail, "").sentence

    assert alert("version", "version 3") == "new version 3"
    assert alert("code", "https://github.com/o/r") == "code released: https://github.com/o/r"
    assert alert("comment", "a reply by @ada") == "a reply by @ada"
