"""TLS and login: STARTTLS when credentials are given and offered, implicit TLS for smtps://."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from smtp_server import Handler, digest, free_port

from paperstand.mail import TransientMailError
from paperstand.mail.smtp import SmtpBackend, SmtpConfig

controller = pytest.importorskip("aiosmtpd.controller")
aiosmtp = pytest.importorskip("aiosmtpd.smtp")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    crt, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return crt, key


class Logins:
    """An authenticator that accepts one user and remembers whether TLS was on."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        """Accept me/secret only."""
        ok = data.login == b"me" and data.password == b"secret"
        self.seen.append((data.login.decode(), session.ssl is not None))
        return aiosmtp.AuthResult(success=ok, handled=False)


def contexts(cert: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Server and client TLS contexts trusting the test certificate."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(*cert)
    return server, ssl.create_default_context(cafile=str(cert[0]))


def serve(handler: Handler, logins: Logins, **kwargs: Any) -> Iterator[int]:
    """Run a TLS-capable server that requires login; yield its port."""
    # aiosmtpd's AUTH LOGIN stalls on smtplib's initial response; PLAIN covers the login path.
    port = free_port()
    ctl = controller.Controller(handler, hostname="127.0.0.1", port=port, authenticator=logins,
                                auth_required=True, auth_exclude_mechanism=["LOGIN"], **kwargs)
    ctl.start()
    try:
        yield port
    finally:
        ctl.stop()


def test_starttls_before_login(cert: tuple[Path, Path]) -> None:
    """With credentials and a server offering STARTTLS, the password only travels encrypted."""
    server_ctx, client_ctx = contexts(cert)
    handler, logins = Handler(), Logins()
    for port in serve(handler, logins, tls_context=server_ctx, require_starttls=True):
        backend = SmtpBackend(SmtpConfig.from_url(f"smtp://me:secret@127.0.0.1:{port}?timeout=5"), client_ctx)
        backend.send(digest())
        backend.close()
    assert logins.seen == [("me", True)]
    assert len(handler.received) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls(cert: tuple[Path, Path]) -> None:
    """smtps:// speaks TLS from the first byte."""
    server_ctx, client_ctx = contexts(cert)
    handler, logins = Handler(), Logins()
    # aiosmtpd does not count implicit TLS as TLS for AUTH, hence auth_require_tls=False.
    for port in serve(handler, logins, ssl_context=server_ctx, auth_require_tls=False):
        backend = SmtpBackend(SmtpConfig.from_url(f"smtps://me:secret@127.0.0.1:{port}?timeout=5"), client_ctx)
        backend.send(digest())
        backend.close()
    assert [login for login, _ in logins.seen] == ["me"]
    assert len(handler.received) == 1


def test_wrong_password_is_transient_not_permanent(cert: tuple[Path, Path]) -> None:
    """A refused login is our configuration, so it must not suppress the recipient."""
    server_ctx, client_ctx = contexts(cert)
    handler, logins = Handler(), Logins()
    for port in serve(handler, logins, tls_context=server_ctx):
        backend = SmtpBackend(SmtpConfig.from_url(f"smtp://me:wrong@127.0.0.1:{port}?timeout=5"), client_ctx)
        with pytest.raises(TransientMailError) as info:
            backend.send(digest())
        assert info.value.code == 535
    assert handler.received == []


def test_untrusted_certificate_is_refused(cert: tuple[Path, Path]) -> None:
    """The default context verifies the server; a self-signed one fails as transient."""
    server_ctx, _ = contexts(cert)
    handler, logins = Handler(), Logins()
    for port in serve(handler, logins, tls_context=server_ctx):
        backend = SmtpBackend.from_url(f"smtp://me:secret@127.0.0.1:{port}?starttls=1&timeout=5")
        with pytest.raises(TransientMailError, match="CERTIFICATE_VERIFY_FAILED|certificate verify"):
            backend.send(digest())
    assert logins.seen == []
