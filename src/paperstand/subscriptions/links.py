"""Signed, opaque keys for a subscriber's unsubscribe and preference links.

A key is the subscriber id plus an HMAC of it under the site's secret: nothing to store, nothing to
guess, and it names no email address (RELIABILITY 1: an opaque token in List-Unsubscribe).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

# Distinct purposes sign differently, so an unsubscribe key is not also a preferences key.
PURPOSES = frozenset({"unsubscribe", "preferences"})
_SIG_BYTES = 16


def _sign(secret: bytes, purpose: str, subscriber_id: int) -> bytes:
    return hmac.new(secret, f"{purpose}:{subscriber_id}".encode(), hashlib.sha256).digest()[:_SIG_BYTES]


def make_key(secret: bytes, purpose: str, subscriber_id: int) -> str:
    """The opaque key for ``subscriber_id`` and ``purpose``."""
    assert purpose in PURPOSES
    raw = subscriber_id.to_bytes(8, "big") + _sign(secret, purpose, subscriber_id)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_key(secret: bytes, purpose: str, key: str) -> int | None:
    """The subscriber id a key names, or ``None`` for a forged, truncated or foreign key."""
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 8 + _SIG_BYTES:
        return None
    subscriber_id = int.from_bytes(raw[:8], "big")
    return subscriber_id if hmac.compare_digest(raw[8:], _sign(secret, purpose, subscriber_id)) else None
