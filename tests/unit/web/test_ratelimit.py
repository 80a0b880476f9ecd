"""Rate limits: the policy setting, route classes, client addresses, verdicts, and the middleware in an app."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from limits import parse
from pydantic import ValidationError
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import DEFAULT_RATE_LIMITS, Settings, parse_networks, parse_rate_limits
from paperstand.web.ratelimit import (
    Throttle,
    Verdict,
    address_key,
    client_address,
    client_key,
    policy_header,
    route_class,
    verdict,
)
from paperstand.web.security import CSP

# ---- the policy setting ----------------------------------------------------------------------------


def test_defaults_cover_every_class() -> None:
    """The default policy limits every route class and mail, with the documented numbers."""
    policy = parse_rate_limits(DEFAULT_RATE_LIMITS)
    assert {k: [str(i) for i in v] for k, v in policy.items()} == {
        "pages": ["120 per 1 minute"], "api": ["300 per 1 minute"], "feeds": ["60 per 1 minute"],
        "search": ["60 per 1 minute"], "forms": ["20 per 1 minute"], "mail": ["3 per 1 hour"]}


def test_a_value_overrides_only_the_classes_it_names() -> None:
    """``search=10/minute`` tightens search and keeps the other defaults; ``class=off`` lifts one class."""
    policy = parse_rate_limits(" Search = 10/minute ; feeds=off;api=5/second,1000/hour ")
    assert [str(i) for i in policy["search"]] == ["10 per 1 minute"]
    assert [str(i) for i in policy["api"]] == ["5 per 1 second", "1000 per 1 hour"]
    assert "feeds" not in policy
    assert [str(i) for i in policy["pages"]] == ["120 per 1 minute"]


@pytest.mark.parametrize("text", ["off", "OFF", " off "])
def test_off_lifts_every_limit(text: str) -> None:
    """``off`` means no class is limited."""
    assert parse_rate_limits(text) == {}


@pytest.mark.parametrize(("text", "says"), [
    ("pagez=10/minute", "unknown class 'pagez'"),
    ("pages=lots", "pages='lots' is not a limit"),
    ("pages=10/fortnight", "pages='10/fortnight' is not a limit"),
    ("pages", "'pages' is not class=limit"),
    ("pages=", "'pages=' is not class=limit"),
    ("mail=0/hour", "allows nothing; use mail=off"),
])
def test_malformed_values_name_the_part(text: str, says: str) -> None:
    """Each mistake gets a message naming the setting and the part that is wrong."""
    with pytest.raises(ValueError, match="PAPERSTAND_RATE_LIMITS") as caught:
        parse_rate_limits(text)
    assert says in str(caught.value)


def test_settings_refuse_a_malformed_policy_at_start() -> None:
    """The program stops when it reads the settings, not on the first request."""
    with pytest.raises(ValidationError, match="unknown class 'pagez'"):
        Settings(rate_limits="pagez=1/second")
    assert Settings(rate_limits="pages=7/minute").rate_limit_policy["pages"] == (parse("7/minute"),)


def test_trusted_proxies_parse_addresses_and_ranges() -> None:
    """Addresses become one-address networks; a bad entry is named."""
    assert parse_networks(" 127.0.0.1, 10.0.0.0/8,::1 ") == (
        ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert parse_networks("") == ()
    with pytest.raises(ValidationError, match="'proxy.local' is not an address or CIDR range"):
        Settings(trusted_proxies="10.0.0.1,proxy.local")


def test_redis_comes_from_its_setting_or_a_redis_queue() -> None:
    """``PAPERSTAND_REDIS_URL`` first, else a Redis queue URL, else memory."""
    assert Settings(redis_url="redis://r:6379/2", queue_url="redis://q/0").effective_redis_url == "redis://r:6379/2"
    assert Settings(queue_url="redis://q:6379/0").effective_redis_url == "redis://q:6379/0"
    assert Settings(queue_url=None).effective_redis_url is None


# ---- classes and keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("GET", "/", "pages"), ("HEAD", "/papers/date/2026-03-02", "pages"), ("GET", "/docs", "pages"),
    ("GET", "/papers/2403.01234.md", "pages"),
    ("GET", "/api/daily_papers", "api"), ("OPTIONS", "/api/papers/x", "api"), ("GET", "/openapi.json", "api"),
    ("GET", "/feeds/latest.rss", "feeds"), ("GET", "/feeds/week/2026-W10.atom", "feeds"),
    ("GET", "/search", "search"), ("GET", "/api/papers/search", "search"), ("GET", "/feeds/search.rss", "search"),
    ("POST", "/subscribe", "forms"), ("POST", "/preferences/k", "forms"), ("DELETE", "/api/x", "forms"),
    ("GET", "/static/site.css", None), ("GET", "/docs/assets/swagger-ui.css", None),
])
def test_route_classes(method: str, path: str, kind: str | None) -> None:
    """Every request spends one class's allowance; the files pages load spend none."""
    assert route_class(method, path) == kind


TRUSTED = parse_networks("127.0.0.1,10.0.0.0/8")


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("203.0.113.9", None, "203.0.113.9"),
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # an untrusted peer cannot name another client
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
    ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),  # the client forged the leftmost
    ("127.0.0.1", "10.0.0.2, 10.1.2.3", "10.0.0.2"),  # all proxies: the farthest one
    ("127.0.0.1", "198.51.100.1, not-an-ip", "127.0.0.1"),
    ("127.0.0.1", "", "127.0.0.1"),
    (None, None, "unknown"),
])
def test_client_address(peer: str | None, forwarded: str | None, client: str) -> None:
    """X-Forwarded-For counts only from a trusted peer, read right to left past trusted proxies."""
    assert client_address(peer, forwarded, TRUSTED) == client


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    """By default the connecting address is the client, whatever the headers say."""
    assert client_address("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"


def test_client_keys() -> None:
    """IPv4 as is; IPv6 by its /64, so one host cannot take a fresh allowance per address."""
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("unknown") == "unknown"


def test_address_keys_ignore_case_and_spaces_and_hide_the_address() -> None:
    """One inbox is one key however it is typed, and the key does not contain it."""
    assert address_key(" Ada@Example.org ") == address_key("ada@example.org")
    assert "ada" not in address_key("ada@example.org") and len(address_key("a\x00b")) == 32


# ---- verdicts --------------------------------------------------------------------------------------


def test_verdict_reports_the_tightest_limit() -> None:
    """Allowed: the limit with the fewest left speaks; the policy lists every limit."""
    items = [parse("10/minute"), parse("100/hour")]
    found = verdict(items, [(True, 1030.2, 7), (True, 1500.0, 3)], now=1000.0, policy=policy_header(items))
    assert found == Verdict(allowed=True, limit=100, remaining=3, reset_after=500, policy="10;w=60, 100;w=3600")


def test_refused_verdict_waits_for_the_refusing_limit() -> None:
    """Refused: Retry-After is when the refusing limit frees a request, at least one second."""
    found = verdict([parse("10/minute")], [(False, 1000.2, 0)], now=1000.0, policy="10;w=60")
    assert found == Verdict(allowed=False, limit=10, remaining=0, reset_after=1, policy="10;w=60")
    assert found.headers() == [(b"ratelimit-limit", b"10"), (b"ratelimit-remaining", b"0"),
                               (b"ratelimit-reset", b"1"), (b"ratelimit-policy", b"10;w=60"),
                               (b"retry-after", b"1")]


def test_memory_throttle_counts_down_then_refuses() -> None:
    """Three allowed with falling remaining counts, then refusals; other keys and kinds are untouched."""
    throttle = Throttle(parse_rate_limits("off") | {"pages": (parse("3/minute"),)}, None)
    seen = [throttle.check_now("pages", "a") for _ in range(5)]
    assert [(v.allowed, v.remaining) for v in seen if v] == [(True, 2), (True, 1), (True, 0), (False, 0), (False, 0)]
    assert 1 <= seen[-1].reset_after <= 60  # type: ignore[union-attr]
    assert throttle.check_now("pages", "b").allowed  # type: ignore[union-attr]
    assert throttle.check_now("api", "a") is None


def test_redis_down_fails_open_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing answers on the port: every request passes uncounted, and the log says so once."""
    throttle = Throttle({"pages": (parse("1/minute"),)}, "redis://127.0.0.1:9/0")
    with caplog.at_level(logging.WARNING, logger="paperstand.ratelimit"):
        assert [throttle.check_now("pages", "a") for _ in range(3)] == [None, None, None]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "redis://127.0.0.1:9/0 is unreachable" in warnings[0]


# ---- in the app ------------------------------------------------------------------------------------


def _client(db_url: str, tmp_path: Path, limits: str, redis_url: str | None = None) -> TestClient:
    settings = Settings(database_url=db_url, harvest_on_start=False, rate_limits=limits, redis_url=redis_url,
                        mail_url=f"file://{tmp_path / 'mail'}")
    return TestClient(create_app(settings))


@pytest.fixture
def tight(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """An app allowing two pages, two API requests a minute."""
    with _client(db_url, tmp_path, "pages=2/minute;api=2/minute") as client:
        yield client


def test_answers_carry_the_headers_then_429(tight: TestClient) -> None:
    """Allowed answers tell what is left; the third page is the error page with Retry-After."""
    first = tight.get("/")
    assert first.status_code == 200
    assert (first.headers["ratelimit-limit"], first.headers["ratelimit-remaining"]) == ("2", "1")
    assert first.headers["ratelimit-policy"] == "2;w=60" and "retry-after" not in first.headers
    assert tight.head("/").headers["ratelimit-remaining"] == "0"
    refused = tight.get("/papers/date/2026-03-02")
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
    assert "Too many requests" in refused.text and "try again" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["content-security-policy"] == CSP  # the error page keeps every header
    assert tight.get("/static/site.css").status_code in (200, 404)  # files are never counted
    assert "ratelimit-limit" not in tight.get("/static/site.css").headers
    assert tight.get("/api/daily_papers").status_code == 200  # another class has its own allowance


def test_api_gets_the_json_error_shape(tight: TestClient) -> None:
    """Over the API's allowance: the one JSON error shape, status 429."""
    for _ in range(2):
        assert tight.get("/api/daily_papers").status_code == 200
    refused = tight.get("/api/daily_papers")
    assert refused.status_code == 429 and refused.headers["retry-after"]
    body = refused.json()
    assert body["status"] == 429 and "more requests" in body["error"]


def test_off_installs_nothing(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """``off``: no counting and no headers."""
    with _client(db_url, tmp_path, "off") as client:
        answers = [client.get("/api/daily_papers") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert all("ratelimit-limit" not in a.headers for a in answers)


def test_redis_down_serves_every_request(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """A configured Redis that is down never turns a page into a 5xx."""
    with _client(db_url, tmp_path, "pages=1/minute", redis_url="redis://127.0.0.1:9/0") as client:
        assert {client.get("/").status_code for _ in range(3)} == {200}


def test_forwarded_for_from_a_trusted_proxy_separates_clients(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Behind a trusted proxy, each forwarded client has its own allowance; the proxy's own count is unused."""
    settings = Settings(database_url=db_url, harvest_on_start=False, rate_limits="pages=1/minute",
                        trusted_proxies="127.0.0.1")
    with TestClient(create_app(settings), client=("127.0.0.1", 5000)) as client:
        def status(forwarded: str) -> int:
            return client.get("/", headers={"X-Forwarded-For": forwarded}).status_code
        assert [status("198.51.100.1"), status("198.51.100.1"), status("198.51.100.2")] == [200, 429, 200]
        assert status("198.51.100.3, 198.51.100.1") == 429  # a forged left entry changes nothing


def test_subscribe_spends_the_address_allowance(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """One mail a minute per address: the second ask is 429 with Retry-After; a blank field stays a 400."""
    only_mail = "pages=off;api=off;feeds=off;search=off;forms=off;mail=1/minute"
    with _client(db_url, tmp_path, only_mail) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/subscribe").text).group(1)  # type: ignore[union-attr]

        def post(email: str) -> Response:
            return client.post("/subscribe", data={"email": email, "csrf": token})

        assert [post("").status_code, post(" ").status_code] == [400, 400]
        assert post("Ada@example.org").status_code == 200
        again = post(" ada@EXAMPLE.org")
        assert again.status_code == 429 and 1 <= int(again.headers["retry-after"]) <= 60
        assert again.headers["ratelimit-limit"] == "1" and "already sent several messages" in again.text
        assert again.headers["content-security-policy"] == CSP
        assert post("bob@example.org").status_code == 200
