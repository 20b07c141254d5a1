"""The demo's in-memory IMAP server carries a real polling cycle, like Dovecot does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR


@pytest.fixture
def app(tmp_path: Path):
    from config.settings import Settings
    from flows.app import App, init

    application = App(Settings(_env_file=None, data_dir=tmp_path / "data", config_dir=CONFIG_DIR))
    init(application)
    yield application
    application.engine.dispose()


@pytest.mark.parametrize("body_first", [False, True], ids=["uid-before-body", "uid-after-body-exchange"])
def test_ingest_over_the_demo_server_takes_each_reply_once(app, body_first: bool) -> None:
    """Also when the server sends UID and FLAGS after the message's body (Exchange,
    mail.ru): every message is read, none dropped for want of a UID."""
    from config.recipients import read_recipients
    from flows.app import status_report
    from flows.dev.demo_data import demo_mails
    from flows.dev.fake_imap import DemoImapServer
    from flows.intake.mail import ingest_mail

    campaign = app.campaign()
    mails = demo_mails(campaign, read_recipients(campaign.recipients_path))
    with DemoImapServer(body_first=body_first) as server:
        for m in mails:
            server.append(m.raw, date=m.received)
        app.settings.imap = server.settings()
        first = ingest_mail(app).to_json()
        assert first["counts"]["total"] == len(mails)
        assert first["counts"]["failed"] == 0, first["items"]
        assert first["counts"]["new"] >= 15
        flagged = [m for m in server.store.messages if app.settings.imap.ack_flag in m.flags]
        assert len(flagged) == len(mails), "every stored message is acknowledged on the server"
        again = ingest_mail(app).to_json()
        assert again["counts"]["total"] == 0
        server.append(mails[0].raw.replace(b"Message-ID: <", b"Message-ID: <lan2-"), date=mails[0].received)
        third = ingest_mail(app).to_json()
        assert third["counts"]["total"] == 1
    states = {r["state"] for r in status_report(app)["recipients"]}
    assert states - {"not_responded"}, "the replies were recorded"


def test_demo_server_refuses_a_wrong_password() -> None:
    import imaplib

    from flows.dev.fake_imap import DemoImapServer

    with DemoImapServer() as server:
        conn = imaplib.IMAP4(server.host, server.port)
        with pytest.raises(imaplib.IMAP4.error):
            conn.login(server.user, "sai")
        conn.login(server.user, server.password)
        typ, _ = conn.select("INBOX")
        assert typ == "OK"
        conn.logout()
