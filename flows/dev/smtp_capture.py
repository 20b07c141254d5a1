"""A real SMTP server for tests and the demo: aiosmtpd on 127.0.0.1, keeping what it receives.

Modes: `tls=True` offers STARTTLS with a self-signed certificate and requires AUTH (user and
password below); `tls=False` is plain SMTP without AUTH. Addresses in `refuse` get a 550 at
RCPT; `fail_data=True` makes every DATA fail with 451 (a server in trouble).
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from config.settings import SmtpSettings


class _QuietDeprecation(logging.Filter):
    """aiosmtpd warns about its own `login_data` on every successful AUTH; not ours to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietDeprecation())


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    # The client's (host, port): one value per SMTP connection.
    peer: tuple[str, int] | None = None

    @property
    def message(self) -> EmailMessage:
        """The parsed message (stdlib, policy.default)."""
        return email.message_from_bytes(self.data, policy=default_policy)  # type: ignore[return-value]


@dataclass
class _Handler:
    capture: SmtpCapture
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.lower() in self.capture.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.capture.fail_data:
            return "451 4.3.0 Temporary failure"
        self.messages.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), tuple(session.peer)[:2]
            ))
        return "250 Message accepted"


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for localhost (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _BoundController(Controller):
    """aiosmtpd's Controller serving a socket bound beforehand. Choosing a free port and letting
    aiosmtpd bind it later is a race with other processes (parallel test workers) that may take
    the port in between; the bound socket holds it from the moment it is chosen."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        self._sock = sock
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self) -> Any:
        # aiosmtpd's documented override point; it must serve _factory_invoker.
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


def _bound_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))  # the kernel picks a port nobody has
    return sock


class SmtpCapture:
    """aiosmtpd Controller on a free port of 127.0.0.1 (context manager); see module doc."""

    def __init__(self, *, tls: bool = True, user: str = "tdc", password: str = "mat-khau-thu") -> None:
        self.tls = tls
        self.host = "127.0.0.1"
        # Bound now (not listening until start): the port is ours from here on.
        self._sock: socket.socket | None = _bound_socket(self.host)
        self.port = int(self._sock.getsockname()[1])
        self.user = user if tls else None
        self.password = password if tls else None
        self.refuse: set[str] = set()
        self.fail_data = False
        self.auth_failures = 0
        self._handler = _Handler(self)
        self._controller: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def messages(self) -> list[Received]:
        """Everything received so far, in order."""
        return self._handler.messages

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if (login, password) == (self.user, self.password):
                return AuthResult(success=True)
        self.auth_failures += 1
        # handled=False: aiosmtpd then answers 535 itself (True would leave the client hanging).
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpCapture:
        """Start listening."""
        kwargs: dict[str, Any] = {}
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="baocao-smtp-")
            cert, key = self_signed_cert(Path(self._tmp.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
            kwargs = {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "authenticator": self._authenticate,
            }
        # ready_timeout: aiosmtpd waits 5 s by default for its thread, too little on a busy machine.
        if self._sock is None:  # started again after a stop: the same port if still free
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._sock.bind((self.host, self.port))
        self._controller = _BoundController(self._handler, self._sock, ready_timeout=300, **kwargs)
        self._sock = None  # the server owns (and closes) it now
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening and remove the certificate."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpCapture:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self, sender: str = "tdc@skhcn.quangngai.example", rate_limit: float = 0.0) -> SmtpSettings:
        """SmtpSettings pointing at this server (certificate checks off: it is self-signed)."""
        return SmtpSettings(
            host=self.host,
            port=self.port,
            user=self.user,
            password=SecretStr(self.password) if self.password else None,
            security="starttls" if self.tls else "none",
            sender=sender,
            rate_limit=rate_limit,
            verify_tls=False,
            timeout=120.0,  # generous: the capture runs in the same busy process
        )
