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


def test_an_unreadable_chunk_ahead_fails_the_run_after_the_chunk_in_hand(app, monkeypatch) -> None:
    """The next chunk is fetched before the current one is handled: a reply that cannot be
    read there still lets the messages before it be recorded (and the last UID move past
    them), then fails the run; nothing after it is skipped."""
    from flows.adapters import imap
    from flows.adapters.imap import MailboxError
    from flows.dev.fake_imap import DemoImapServer
    from flows.intake.mail import ingest_mail
    from storage.ingest import mailbox_state

    real = imap._parse_fetch

    def broken_on_two(data):  # noqa: ANN001, ANN202
        mails = list(real(data))
        if any(m.uid == 2 for m in mails):
            raise MailboxError("phản hồi FETCH lạ")
        return iter(mails)

    monkeypatch.setattr(imap, "_parse_fetch", broken_on_two)
    with DemoImapServer() as server:
        for i in (1, 2, 3):
            server.append(f"From: a{i}@x.vn\r\nSubject: Thu {i}\r\nMessage-ID: <t{i}@x.vn>\r\n\r\nNoi dung {i}\r\n".encode())
        app.settings.imap = server.settings().model_copy(update={"fetch_chunk": 1})
        with pytest.raises(MailboxError):
            ingest_mail(app, receipts=False)
        with app.session() as session:
            state, _ = mailbox_state(imap.ImapSource(app.settings.imap).key, server.store.uidvalidity, session=session)
            assert state.last_uid == 1  # UID 1 handled, 2 and 3 wait for the next run
        monkeypatch.setattr(imap, "_parse_fetch", real)
        again = ingest_mail(app, receipts=False).to_json()
        assert [i["uid"] for i in again["items"]] == [2, 3]


def test_a_failed_message_deleted_from_the_server_leaves_the_retry_set(app) -> None:
    """A message due another attempt that the server no longer holds is said once, then
    taken out of the retry set with the reason (not reported again on every poll)."""
    from flows.adapters.imap import ImapSource
    from flows.dev.fake_imap import DemoImapServer
    from flows.intake.mail import ingest_mail
    from storage.blobs import record_blob
    from storage.ingest import add_mail, ledger_mail, retry_uids

    with DemoImapServer() as server:
        server.append(b"From: a@x.vn\r\nSubject: Thu\r\nMessage-ID: <g1@x.vn>\r\n\r\nNoi dung\r\n")
        app.settings.imap = server.settings()
        ingest_mail(app, receipts=False)
        key = ImapSource(app.settings.imap).key
        with app.session() as s:  # UID 51 failed for a transient reason, then was deleted
            sha = record_blob(app.blobs, b"gone", session=s)
            add_mail({"mailbox": key, "uidvalidity": server.store.uidvalidity, "uid": 51, "raw_sha256": sha,
                      "status": "failed", "error": "mạng chập chờn", "details": {"attempts": 1, "transient": True, "retry": True}},
                     session=s)
        first = ingest_mail(app, receipts=False).to_json()
        assert any("UID 51" in e for e in first["errors"]), first["errors"]
        second = ingest_mail(app, receipts=False).to_json()
        assert not second["errors"], second["errors"]
        with app.session() as s:
            assert retry_uids(key, server.store.uidvalidity, 5, session=s) == []
            row = ledger_mail(key, server.store.uidvalidity, 51, session=s)
            assert row is not None and row.details["gone"] and "không còn trên máy chủ" in row.error
