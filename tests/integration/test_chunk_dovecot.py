"""Copies inside one fetched chunk are duplicates with a real IMAP server and both databases
(tests/flows/intake/test_chunk_lookup.py checks the same on the in-memory fake and SQLite)."""

from __future__ import annotations


def test_copies_inside_one_fetched_chunk_are_duplicates_on_dovecot(mail_app, dovecot) -> None:
    from sqlalchemy import func, select

    from flows.intake.mail import ingest_mail
    from storage.models import InboundMail

    raw = (
        "From: nguoi@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: Trao đổi\r\n"
        "Message-ID: <mot@congty.example>\r\nDate: Mon, 04 Aug 2025 08:00:00 +0700\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nNội dung.\r\n"
    ).encode()
    second_delivery = raw.replace(b"From:", b"Received: from relay2\r\nFrom:", 1)
    folder = mail_app.settings.imap.folder
    for data in (raw, b"X-Other: 1\r\n" + raw.replace(b"<mot@", b"<hai@"), raw, second_delivery):
        dovecot.append(data, folder=folder)
    assert mail_app.settings.imap.fetch_chunk >= 4  # the four messages come in one chunk
    report = ingest_mail(mail_app, receipts=False).to_json()
    statuses = [item["status"] for item in report["items"]]
    assert len(statuses) == 4
    assert statuses[0] != "duplicate" and statuses[1] != "duplicate"
    assert statuses[2:] == ["duplicate", "duplicate"], report["items"]
    with mail_app.session() as s:  # every message has its ledger row, each once
        assert s.scalar(select(func.count()).select_from(InboundMail)) == 4
    assert ingest_mail(mail_app, receipts=False).to_json()["items"] == []  # nothing twice
