"""Where the harvest fetcher may connect: public addresses only, unless a host is allowed by name.

A harvest URL comes from settings, and every redirect it follows comes from a remote server, so a
hostile or compromised server could point us at the cloud metadata service, a database on the
loopback interface or the office network. The check runs on the address actually dialled (see
``GuardedBackend``), after every DNS answer and for every connection, redirects included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64's well-known prefix (RFC 6052) embeds an IPv4 address that a NAT64 gateway then dials.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Ports an allow-list entry without a port stands for: the http and https defaults.
DEFAULT_PORTS = (80, 443)


class AddressRefused(Exception):
    """A connection the guard would not open: ``address`` is what the host resolved to."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} → {address}: {reason}")
        self.host, self.address, self.reason = host, address, reason


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4 or NAT64), which is what gets reached."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_address(address: str | IPAddress) -> str | None:
    """Why the fetcher refuses to connect to ``address`` ("private address" ...), or ``None`` if it is public."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return check_address(inner)
    # Order matters: 0.0.0.0 is also "private" and 240/4 also "private" to ipaddress; the more
    # specific word tells an operator more.
    for flag, reason in (("is_unspecified", "unspecified address"), ("is_loopback", "loopback address"),
                         ("is_link_local", "link-local address"), ("is_multicast", "multicast address"),
                         ("is_reserved", "reserved address"), ("is_private", "private address")):
        if getattr(ip, flag):
            return reason
    # What is left and still not global: shared (carrier NAT, 100.64/10) and IETF protocol space.
    return None if ip.is_global else "non-public address"


def _host_port(entry: str) -> tuple[str, int | None]:
    parts = urlsplit("//" + entry.strip())
    return (parts.hostname or "").lower(), parts.port


def parse_allow_hosts(value: str) -> frozenset[tuple[str, int]]:
    """``host:port`` pairs from a comma-separated setting; an entry without a port means ports 80 and 443."""
    allowed: set[tuple[str, int]] = set()
    for entry in value.split(","):
        if not entry.strip():
            continue
        try:
            host, port = _host_port(entry)
        except ValueError as exc:
            raise ValueError(f"fetch: bad allowed host {entry.strip()!r}: {exc}") from None
        if not host:
            raise ValueError(f"fetch: bad allowed host {entry.strip()!r}: expected host:port")
        allowed.update((host, p) for p in ((port,) if port else DEFAULT_PORTS))
    return frozenset(allowed)


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        # Shaped like httpcore's own failure so callers see one kind of "cannot reach" error.
        raise httpcore.ConnectError(str(exc)) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend that resolves the host itself and dials only addresses it checked.

    Checking inside ``connect_tcp`` (rather than resolving before the request and again when
    connecting) leaves no gap for DNS rebinding: the address checked is the address dialled, TLS
    still verifies the certificate against the host name, and connections are pooled per host
    name as usual. Every new connection is checked, so a redirect to a new host is too.
    """

    def __init__(self, allowed: frozenset[tuple[str, int]]) -> None:
        self.allowed = allowed

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        """Connect to ``host`` only through addresses that ``check_address`` accepts (or an allowed host)."""
        if (host.lower().strip("[]"), port) in self.allowed:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = resolve(host, port)
        for address in addresses:
            # One bad answer refuses the host: a name that mixes public and private addresses is
            # either misconfigured or an attack, and picking the good one would hide both.
            reason = check_address(address)
            if reason is not None:
                raise AddressRefused(host, address, reason)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host}: no address")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the connection pool dialling through ``GuardedBackend``."""

    def __init__(self, allowed: frozenset[tuple[str, int]]) -> None:
        super().__init__()
        # httpx offers no parameter for httpcore's network backend, so the pool is rebuilt with one;
        # httpx's handle_request (request mapping, error mapping) then drives it unchanged. No proxy:
        # through a proxy the address we check would not be the one the request reaches.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=GuardedBackend(allowed))
