"""Fixtures for integration tests: one Prefect test harness (temporary server) per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows.dev.net import dovecot_binary


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server for the session, with the flow heartbeat off (~1 s a run)."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    quiet = {PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with temporary_settings(quiet), prefect_test_harness(server_startup_timeout=600):
        yield


@pytest.fixture(scope="module")
def dovecot():
    """A real Dovecot IMAP server on 127.0.0.1 for the module (each test uses its own folder)."""

    from flows.dev.dovecot import DovecotServer

    if not dovecot_binary():
        pytest.fail("Dovecot is not installed: apt-get install -y dovecot-imapd dovecot-lmtpd")
    with DovecotServer() as server:
        yield server


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server (aiosmtpd, plain) capturing what is sent, for the module."""
    from flows.dev.smtp_capture import SmtpCapture

    with SmtpCapture(tls=False) as server:
        yield server


@pytest.fixture
def mail_app(app, dovecot, smtp):
    """The app reading its own fresh folder of the module's Dovecot and sending through its SMTP capture."""
    import uuid

    app.settings.imap = dovecot.settings(folder=f"T{uuid.uuid4().hex[:10]}")
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    return app


@pytest.fixture
def drop_app(app, tmp_path):
    """The app with its shared folder (BAOCAO_DROP__DIR) in a temp dir, `chung`."""
    root = tmp_path / "chung"
    root.mkdir()
    app.settings.drop.dir = root
    return app
