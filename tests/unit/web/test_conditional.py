"""Conditional-request rules of RFC 9110: which request headers earn a 304. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperstand.web.conditional import Validators, http_date, not_modified, parse_http_date, strong_etag

CHANGED = datetime(2025, 3, 11, 8, 0, 0, 250_000, tzinfo=UTC)
TAG = strong_etag(b"body")
V = Validators(TAG, CHANGED)


def test_strong_etag_is_quoted_and_follows_the_bytes() -> None:
    assert TAG.startswith('"') and TAG.endswith('"') and not TAG.startswith("W/")
    assert strong_etag(b"body") == TAG != strong_etag(b"body!")


def test_http_dates_round_trip_in_every_format() -> None:
    assert http_date(CHANGED) == "Tue, 11 Mar 2025 08:00:00 GMT"
    expected = CHANGED.replace(microsecond=0)
    for text in ("Tue, 11 Mar 2025 08:00:00 GMT", "Tuesday, 11-Mar-25 08:00:00 GMT", "Tue Mar 11 08:00:00 2025"):
        assert parse_http_date(text) == expected, text
    for bad in ("", "yesterday", "Tue, 99 Mar 2025 08:00:00 GMT", "\x00"):
        assert parse_http_date(bad) is None


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, False),
    ({"if-none-match": TAG}, True),
    ({"if-none-match": f'"other", {TAG}'}, True),
    ({"if-none-match": f"W/{TAG}"}, True),  # If-None-Match compares weakly
    ({"if-none-match": "*"}, True),
    ({"if-none-match": '"other"'}, False),
    ({"if-none-match": TAG.strip('"')}, False),  # an unquoted tag is not a tag
    ({"if-modified-since": "Tue, 11 Mar 2025 08:00:00 GMT"}, True),  # same second counts as seen
    ({"if-modified-since": "Wed, 12 Mar 2025 00:00:00 GMT"}, True),
    ({"if-modified-since": "Tue, 11 Mar 2025 07:59:59 GMT"}, False),
    ({"if-modified-since": "not a date"}, False),
    # With If-None-Match present, If-Modified-Since is ignored either way.
    ({"if-none-match": '"other"', "if-modified-since": "Wed, 12 Mar 2025 00:00:00 GMT"}, False),
    ({"if-none-match": TAG, "if-modified-since": "Tue, 11 Mar 2025 07:00:00 GMT"}, True),
])
def test_not_modified(headers: dict[str, str], expected: bool) -> None:
    assert not_modified(headers, V) is expected


def test_without_a_last_modified_time_only_the_tag_counts() -> None:
    undated = Validators(TAG)
    assert not_modified({"if-modified-since": "Wed, 12 Mar 2025 00:00:00 GMT"}, undated) is False
    assert not_modified({"if-none-match": TAG}, undated) is True
