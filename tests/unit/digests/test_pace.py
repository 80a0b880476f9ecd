"""The rate cap: exact schedules from the pure function, and a sender that keeps to it."""

from __future__ import annotations

import pytest

from paperstand.digests.pace import BURST_SECONDS, Pacer, next_slot


def test_messages_are_spaced_by_the_rate() -> None:
    wait, allowed = next_slot(now=100.0, allowed_from=float("-inf"), rate=4)
    assert (wait, allowed) == (0.0, 99.5)  # an idle sender may use its one-second burst...
    waits = []
    for _ in range(5):
        wait, allowed = next_slot(now=100.0, allowed_from=allowed, rate=4)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 0.25, 0.5]  # ...four messages at once, then one every 0.25 s
    # a slow rate: the first message still goes at once, the next one a whole interval later
    assert next_slot(now=5.0, allowed_from=float("-inf"), rate=0.5) == (0.0, 7.0)


def test_a_late_sender_catches_up_by_one_burst_at_most() -> None:
    # the previous message left the next slot at t=10, but the sender only comes back at t=60
    wait, allowed = next_slot(now=60.0, allowed_from=10.0, rate=2)
    assert wait == 0.0 and allowed == 60.0 - BURST_SECONDS + 0.5 + 0.5
    # on time: exactly the remaining gap
    assert next_slot(now=10.0, allowed_from=10.4, rate=2) == (pytest.approx(0.4), pytest.approx(10.9))


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next_slot(0.0, 0.0, 0)


def test_pacer_never_exceeds_the_rate_over_any_window() -> None:
    """200 messages at 50/s on a fake clock: no one-second window holds more than 50 + the burst."""
    now = [0.0]
    sent: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(50, clock=lambda: now[0], sleep=sleep)
    for _ in range(200):
        pacer.wait()
        sent.append(now[0])
        now[0] += 0.001  # the message itself takes a millisecond
    assert sent[-1] == pytest.approx((200 - 50) / 50, abs=0.01)  # a burst of 50 at once, then 50 a second
    for i, t in enumerate(sent):
        in_window = sum(1 for u in sent[i:] if u < t + 1.0)
        assert in_window <= 50 + 50 * BURST_SECONDS


def test_without_a_rate_nothing_waits_and_claims_are_unchanged() -> None:
    pacer = Pacer(None, clock=lambda: 0.0, sleep=lambda s: pytest.fail("slept"))
    pacer.wait()
    assert pacer.batch_size(300, 100) == 100
    assert Pacer(0.5).batch_size(300, 100) == 37 and Pacer(1000).batch_size(300, 100) == 100
