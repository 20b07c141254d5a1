"""The test Dovecot on indexed storage (mdbox / sdbox, as the polling benchmark uses): seeding by
`doveadm import` and by APPEND, and a real poll that takes and flags every message."""

from __future__ import annotations

import uuid

import pytest

from flows.dev.net import dovecot_binary

RUN = uuid.uuid4().hex[:8]


def filler(i: int) -> bytes:
    i = f"{RUN}-{i}-{uuid.uuid4().hex[:6]}"  # type: ignore[assignment]  # each run's own Message-IDs
    return (
        f"From: nguoi{i}@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: Thu cu {i}\r\n"
        f"Message-ID: <cu-{i}@congty.example>\r\nDate: Mon, 02 Jun 2025 08:00:00 +0700\r\n\r\nNoi dung {i}.\r\n"
    ).encode()


@pytest.fixture(scope="module", params=["mdbox", "sdbox"])
def indexed(request):
    from flows.dev.dovecot import DovecotServer

    if not dovecot_binary():
        pytest.fail("Dovecot is not installed: apt-get install -y dovecot-imapd dovecot-lmtpd")
    with DovecotServer(mail_format=request.param) as server:
        yield server


def test_unknown_format_is_refused():
    from flows.dev.dovecot import DovecotServer

    with pytest.raises(ValueError, match="mail_format"):
        DovecotServer(mail_format="mbox")  # type: ignore[arg-type]


def test_seeded_and_appended_mail_is_polled_and_flagged(indexed, app):
    from flows.adapters.imap import ImapSource
    from flows.intake.mail import ingest_mail

    assert indexed.mail_location == f"{indexed.mail_format}:~/{indexed.mail_format}"
    assert (indexed.home / indexed.mail_format).is_dir() and not indexed.maildir.exists()
    with pytest.raises(ValueError, match="Maildir"):
        indexed.seed_maildir([filler(0)])
    with pytest.raises(ValueError, match="Maildir"):
        indexed.recreate_folder()
    conn = indexed.client()
    before = int(conn.select("INBOX")[1][0])
    conn.logout()
    indexed.seed([filler(i) for i in range(40)])
    indexed.seed([filler(i) for i in range(40, 45)], via="append")
    indexed.append(filler(45))
    conn = indexed.client()
    assert int(conn.select("INBOX")[1][0]) == before + 46
    conn.logout()
    app.settings.imap = indexed.settings(ack_flag=f"Baocao{app.engine.dialect.name.capitalize()}")
    with ImapSource(app.settings.imap) as source:
        assert len(source.new_uids(0)) == before + 46
    report = ingest_mail(app, receipts=False).to_json()
    assert report["counts"]["total"] == len(report["items"]) == before + 46 and not report["errors"], report["counts"]
    with ImapSource(app.settings.imap) as source:
        assert source.new_uids(0) == []  # every message carries our keyword now
