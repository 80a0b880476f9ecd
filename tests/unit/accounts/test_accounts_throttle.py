"""The failed-login counters: moving window, keys kept apart, shared through Redis, and never off when Redis is."""

from __future__ import annotations

import uuid

import pytest

from paperstand.accounts.throttle import LoginThrottle, account_key, address_key, parse_limit

REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def test_limits_parse_and_bad_ones_name_the_setting() -> None:
    item = parse_limit("10 per 5 minutes")
    assert (item.amount, item.get_expiry()) == (10, 300)
    for bad in ("ten a minute", "0 per minute", ""):
        with pytest.raises(ValueError, match="PAPERSTAND_LOGIN_FAILURES"):
            parse_limit(bad)


def test_keys_hash_addresses_and_keep_kinds_apart() -> None:
    assert account_key("login:ada@example.org") != account_key("login:bob@example.org")
    assert "ada" not in account_key("login:ada@example.org")
    assert address_key("192.0.2.1") == "ip:192.0.2.1"


def test_the_limit_is_reached_after_n_failures_and_names_the_wait() -> None:
    throttle = LoginThrottle(parse_limit("3 per 5 minutes"))
    keys = [account_key("a"), address_key("192.0.2.1")]
    for _ in range(3):
        assert throttle.retry_after(keys) is None
        throttle.failed(keys)
    wait = throttle.retry_after(keys)
    assert wait is not None and 290 <= wait <= 300
    assert throttle.retry_after([account_key("b")]) is None


@pytest.mark.skipif(not _redis_up(), reason="Redis not reachable at 127.0.0.1:6379")
def test_processes_share_the_counts_through_redis() -> None:
    key = [account_key(uuid.uuid4().hex)]
    one, two = (LoginThrottle(parse_limit("2 per 5 minutes"), REDIS_URL) for _ in range(2))
    one.failed(key)
    two.failed(key)
    assert one.retry_after(key) is not None and two.retry_after(key) is not None


def test_an_unreachable_redis_falls_back_to_counting_in_memory(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LoginThrottle(parse_limit("2 per 5 minutes"), "redis://127.0.0.1:1/0")
    key = [account_key("a")]
    throttle.failed(key)
    throttle.failed(key)
    assert throttle.retry_after(key) is not None  # still counting: a security control does not fail open
    assert "counting in memory" in caplog.text
