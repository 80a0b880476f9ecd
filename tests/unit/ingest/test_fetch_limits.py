"""The harvest fetcher's limits against real local servers: redirects, body size, schemes and addresses."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest
from harvest_server import FakeClock, ReplayServer, Reply, allow, scripted

from paperstand.ingest.fetch import FetchError, HttpFetcher

MIB = 1024 * 1024


def _fetcher(*urls: str, max_bytes: int = MIB, max_redirects: int = 5, retries: int = 3,
             clock: FakeClock | None = None, max_seconds: float = 60.0) -> HttpFetcher:
    """A fetcher that may reach exactly the local servers at ``urls`` and nothing else on this machine."""
    clock = clock or FakeClock()
    return HttpFetcher(timeout=5.0, retries=retries, agent="paperstand-test", clock=clock.monotonic,
                       sleep=clock.sleep, max_bytes=max_bytes, max_redirects=max_redirects,
                       max_seconds=max_seconds, allow_hosts=allow(*urls))


def _redirect(location: str) -> Reply:
    return 302, {"Location": location}, b""


def _hops(path: str, params: dict[str, str]) -> Reply:
    """/hop/N redirects to /hop/N+1 forever; /done answers."""
    if path.startswith("/hop/"):
        return _redirect(f"/hop/{int(path.rsplit('/', 1)[1]) + 1}")
    return 200, {}, b"done"


def test_redirects_are_followed_with_the_query_only_on_the_first_hop() -> None:
    with ReplayServer(scripted(_redirect("/next?page=2"), (301, {"Location": "/last"}, b""),
                               (200, {}, b"ok"))) as server:
        assert _fetcher(server.url).get(server.url + "/oai", {"verb": "Identify"}) == b"ok"
    assert [(r.path, r.params) for r in server.requests] == [
        ("/oai", {"verb": "Identify"}), ("/next", {"page": "2"}), ("/last", {})]


def test_redirects_are_capped() -> None:
    clock = FakeClock()
    with ReplayServer(_hops) as server, pytest.raises(FetchError) as info:
        _fetcher(server.url, max_redirects=5, clock=clock).get(server.url + "/hop/0", {})
    assert str(info.value) == f"fetch: {server.url}/hop/0: more than 5 redirects (last to {server.url}/hop/6)"
    assert len(server.requests) == 6  # the first request and five redirects; never retried
    assert clock.sleeps == []


def test_zero_redirects_means_none_followed() -> None:
    with ReplayServer(_hops) as server, pytest.raises(FetchError, match="more than 0 redirects"):
        _fetcher(server.url, max_redirects=0).get(server.url + "/hop/0", {})
    assert len(server.requests) == 1


@pytest.mark.parametrize(("target", "address", "reason"), [
    ("http://10.0.0.1/", "10.0.0.1", "private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local address"),
    ("http://[::1]:9/", "::1", "loopback address"),
    ("http://[::ffff:127.0.0.1]:9/", "::ffff:127.0.0.1", "loopback address"),
    ("http://0.0.0.0:9/", "0.0.0.0", "unspecified address"),
    ("http://[fd00::1]/", "fd00::1", "private address"),
])
def test_a_redirect_to_a_non_public_address_is_refused(target: str, address: str, reason: str) -> None:
    clock = FakeClock()
    with ReplayServer(scripted(_redirect(target))) as server, pytest.raises(FetchError) as info:
        _fetcher(server.url, clock=clock).get(server.url + "/oai", {})
    assert str(info.value) == f"fetch: refusing {server.url}/oai (redirected to {target}) → {address}: {reason}"
    assert not info.value.connect_failed and clock.sleeps == []  # refused once, not retried


def test_a_redirect_to_another_local_port_is_refused() -> None:
    """The allow-list names host and port: the same host on another port is still loopback, and refused."""
    with ReplayServer(scripted((200, {}, b"secret"))) as other, \
            ReplayServer(scripted(_redirect(other.url + "/admin"))) as server, \
            pytest.raises(FetchError, match=r"→ 127.0.0.1: loopback address"):
        _fetcher(server.url).get(server.url, {})
    assert other.requests == []


def test_a_local_server_is_refused_unless_allowed() -> None:
    with ReplayServer(scripted((200, {}, b"ok"))) as server:
        with pytest.raises(FetchError) as info:
            _fetcher().get(server.url + "/oai", {})
        assert str(info.value) == f"fetch: refusing {server.url}/oai → 127.0.0.1: loopback address"
        port = server.url.rsplit(":", 1)[1]
        with pytest.raises(FetchError, match="loopback address"):  # another name for it is not the same host
            _fetcher(f"http://localhost:{port}").get(server.url, {})
        assert server.requests == []
        assert _fetcher(server.url).get(server.url, {}) == b"ok"


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://ftp.example.org/x", "gopher://example.org/"])
def test_a_redirect_to_another_scheme_is_refused(target: str) -> None:
    scheme = target.split(":", 1)[0]
    with ReplayServer(scripted(_redirect(target))) as server, pytest.raises(FetchError) as info:
        _fetcher(server.url).get(server.url, {})
    assert str(info.value) == (f"fetch: refusing {server.url} (redirected to {target}): "
                               f"scheme '{scheme}' is not http or https")


def test_only_http_and_https_urls_are_fetched() -> None:
    with pytest.raises(FetchError, match="scheme 'file' is not http or https"):
        _fetcher().get("file:///etc/passwd", {})


def _endless() -> Iterator[bytes]:
    """A body with no Content-Length that would run to 256 MiB."""
    chunk = b"x" * 65536
    for _ in range(4096):
        yield chunk


def test_a_streamed_body_over_the_cap_is_cut_off() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((200, {}, _endless()))) as server, pytest.raises(FetchError) as info:
        _fetcher(server.url, max_bytes=MIB, clock=clock).get(server.url + "/oai", {})
    assert str(info.value) == (f"fetch: {server.url}/oai: response larger than {MIB} bytes "
                               "(PAPERSTAND_FETCH_MAX_BYTES)")
    assert len(server.requests) == 1 and clock.sleeps == []
    assert server.streamed < 32 * MIB  # the connection was dropped long before the end


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    with ReplayServer(scripted((200, {}, b"x" * (MIB + 1)))) as server, \
            pytest.raises(FetchError, match="response larger than"):
        _fetcher(server.url, max_bytes=MIB).get(server.url, {})


def test_the_cap_counts_decompressed_bytes() -> None:
    """A small gzip body that inflates past the cap is refused: the cap is on what we would hold."""
    bomb = gzip.compress(b"\0" * (4 * MIB))
    assert len(bomb) < MIB
    with ReplayServer(scripted((200, {"Content-Encoding": "gzip"}, bomb))) as server, \
            pytest.raises(FetchError, match="response larger than"):
        _fetcher(server.url, max_bytes=MIB).get(server.url, {})


def test_a_body_at_the_cap_is_accepted() -> None:
    with ReplayServer(scripted((200, {}, iter([b"x" * MIB])))) as server:
        assert len(_fetcher(server.url, max_bytes=MIB).get(server.url, {})) == MIB


def _trickle() -> Iterator[bytes]:
    """One byte every 50 ms for 10 s: every read is quick, the whole body is not."""
    for _ in range(200):
        time.sleep(0.05)
        yield b"x"


def test_a_body_trickling_past_the_time_cap_is_cut_off() -> None:
    with ReplayServer(scripted((200, {}, _trickle()))) as server, pytest.raises(FetchError) as info:
        started = time.monotonic()
        _fetcher(server.url, max_seconds=0.5).get(server.url, {})
    assert time.monotonic() - started < 3
    assert str(info.value) == (f"fetch: {server.url}: response took longer than 0.5 s "
                               "(PAPERSTAND_FETCH_MAX_SECONDS)")
