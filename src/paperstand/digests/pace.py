"""Keeping digest delivery under a rate cap: a pure schedule, and the clock that follows it.

Mail providers cap how fast an account may send (Amazon SES starts at 14 messages a second, many
relays at a few per second); going over gets mail deferred or the account throttled. A sender with
``PAPERSTAND_MAIL_RATE`` set spaces its messages so that, over any stretch of time, it never sends
more than ``rate`` a second plus a burst of :data:`BURST_SECONDS` worth.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# How many seconds' worth of messages may go out back to back after an idle spell (a token bucket's size).
BURST_SECONDS = 1.0


def next_slot(now: float, allowed_from: float, rate: float, burst: float = BURST_SECONDS) -> tuple[float, float]:
    """When the next message may go, and the schedule after it: ``(wait, allowed_from')``.

    ``allowed_from`` is the earliest time the previous call left for the next message; a sender that
    fell behind (idle, slow server) may catch up by at most ``burst`` seconds' worth of messages.
    """
    if rate <= 0:
        raise ValueError("a mail rate must be positive")
    # After an idle spell the schedule may lag ``now`` by one burst, less the message being sent: then
    # ``burst * rate`` messages go at once, and never more over any stretch of time than its length plus
    # the burst allows.
    start = max(allowed_from, now - max(0.0, burst - 1.0 / rate))
    wait = max(0.0, start - now)
    return wait, start + 1.0 / rate


class Pacer:
    """Waits before each message as :func:`next_slot` says; does nothing without a rate."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self._allowed_from = float("-inf")

    def wait(self) -> None:
        """Return when the next message may be sent."""
        if not self.rate:
            return
        delay, self._allowed_from = next_slot(self.clock(), self._allowed_from, self.rate)
        if delay > 0:
            self.sleep(delay)

    def batch_size(self, lease_seconds: float, limit: int) -> int:
        """Rows to claim at once: no more than a quarter of the lease can send at this rate."""
        if not self.rate:
            return limit
        return max(1, min(limit, int(self.rate * lease_seconds / 4)))
