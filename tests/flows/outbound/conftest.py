"""One SMTP capture per test module and the app sending through it (a module may set
`MAIL_SENDER` for the From address its mails need)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows.app import App
from flows.dev.smtp_capture import SmtpCapture


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpCapture]:
    with SmtpCapture(tls=False) as server:
        yield server


@pytest.fixture
def mail_app(app: App, smtp_server: SmtpCapture, request: pytest.FixtureRequest) -> Iterator[App]:
    smtp_server.messages.clear()
    sender = getattr(request.module, "MAIL_SENDER", None)
    smtp = smtp_server.settings(sender=sender) if sender else smtp_server.settings()
    application = App(app.settings.model_copy(update={"smtp": smtp}))
    yield application
    application.engine.dispose()
