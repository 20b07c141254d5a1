"""The TLS context for our mail clients (IMAP and SMTP)."""

from __future__ import annotations

import ssl


def client_tls_context(*, verify: bool) -> ssl.SSLContext:
    """A default client context; certificate checks off only when settings say so (tests, a
    server with a self-signed certificate the installer trusts)."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
