"""Signed subscriber keys: round trip, forgery, purpose separation."""

from __future__ import annotations

from paperstand.subscriptions.links import make_key, read_key

SECRET = b"test-secret"


def test_round_trip() -> None:
    """A key names its subscriber and no email address."""
    key = make_key(SECRET, "unsubscribe", 42)
    assert read_key(SECRET, "unsubscribe", key) == 42
    assert "@" not in key and len(key) == 32


def test_forged_truncated_and_foreign_keys_fail() -> None:
    """Another id, another secret, another purpose or garbage: all refused."""
    key = make_key(SECRET, "unsubscribe", 42)
    assert read_key(SECRET, "unsubscribe", make_key(b"other", "unsubscribe", 42)) is None
    assert read_key(SECRET, "preferences", key) is None
    assert read_key(SECRET, "unsubscribe", key[:-2]) is None
    assert read_key(SECRET, "unsubscribe", "!!not base64!!") is None
    tampered = make_key(SECRET, "unsubscribe", 43)[:11] + key[11:]
    assert read_key(SECRET, "unsubscribe", tampered) is None
