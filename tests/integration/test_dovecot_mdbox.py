"""The test Dovecot on indexed storage (mdbox / sdbox, as the polling benchmark uses): seeding by
`doveadm import` and by APPEND, and a real poll that takes and flags every message."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def _statements(app):  # noqa: ANN001, ANN202
    """The SQL statements the app's engine runs inside the block."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *rest):  # noqa: ANN001, ANN202
        seen.append(" ".join(statement.split()))

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", record)


def _reads_people(statement: str) -> bool:
    return statement.startswith("SELECT") and any(f"FROM {t} " in statement + " " for t in ("recipient", "contact", "outbound_mail"))


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


def test_idle_poll_only_asks_status_and_still_sees_new_mail(indexed, app, monkeypatch):
    """An idle poll sends LOGIN, STATUS, LOGOUT and nothing else (no SELECT, NOOP or a second
    CAPABILITY; Python's imaplib asks CAPABILITY once on connecting, before the login),
    also right after our keyword was set on INBOX — a change Dovecot's mailbox list index
    (`mailbox_list_index_include_inbox = yes`, as README recommends) does not record — and a
    message delivered after that is still seen by the next poll's STATUS."""
    import imaplib

    from flows.intake.mail import ingest_mail

    sent: list[str] = []
    LOOK = ["CAPABILITY", "LOGIN", "STATUS"]  # noqa: N806
    original = imaplib.IMAP4._simple_command

    def recording(self, name, *args):  # noqa: ANN001, ANN202
        sent.append(name)
        return original(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_simple_command", recording)
    app.settings.imap = indexed.settings(ack_flag=f"Idle{uuid.uuid4().hex[:8]}")
    indexed.seed([filler(i) for i in range(3)], via="append")
    sent.clear()
    first = ingest_mail(app, receipts=False)
    assert len(first.items) >= 3 and not first.errors, first.to_json()  # unrelated mail: taken, ignored
    assert sent[:4] == [*LOOK, "SELECT"] and sent.count("CAPABILITY") == 1, sent  # flag ack: MOVE not needed
    import flows.intake.context as context

    specs: list[str] = []
    real_spec = context.outline_spec
    monkeypatch.setattr(context, "outline_spec", lambda campaign: specs.append(campaign.id) or real_spec(campaign))
    for _ in range(2):
        sent.clear()
        with _statements(app) as sql:
            idle = ingest_mail(app, receipts=False)
        assert not idle.items and not idle.errors and sent == [*LOOK, "LOGOUT"], (sent, idle.to_json())
        # nothing to handle: the campaign's recipients, contacts and sent requests are not read
        assert not [q for q in sql if _reads_people(q)], sql
        assert specs == []  # nor its recipient list (the parsers' outline spec)
    indexed.append(filler(99))  # another connection delivers
    sent.clear()
    with _statements(app) as sql:
        later = ingest_mail(app, receipts=False)
    assert len([q for q in sql if _reads_people(q)]) == 3, sql  # recipients, contacts, threads: once
    assert len(specs) == 1, specs
    assert [i["subject"].startswith(f"Thu cu {RUN}-99-") for i in later.items] == [True], later.to_json()
    assert not later.errors
    assert sent[:4] == [*LOOK, "SELECT"], sent


def test_run_that_sets_keywords_refreshes_status_once_and_next_poll_sees_new_mail(indexed, app, monkeypatch):
    """A run that set our keyword ends with UNSELECT and STATUS before LOGOUT (so Dovecot's
    mailbox list index answers the next poll's STATUS INBOX without opening INBOX); a run that
    set none does not send them. Mail delivered right after such a run is seen by the very
    next poll, and that poll's own keyword is followed by the same refresh."""
    import imaplib

    from flows.intake.mail import ingest_mail

    sent: list[str] = []
    original = imaplib.IMAP4._simple_command

    def recording(self, name, *args):  # noqa: ANN001, ANN202
        sent.append(f"{name} {args[0]}" if name == "UID" else name)
        return original(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_simple_command", recording)
    app.settings.imap = indexed.settings(ack_flag=f"Refresh{uuid.uuid4().hex[:8]}")
    indexed.seed([filler(i) for i in range(2)], via="append")
    sent.clear()
    first = ingest_mail(app, receipts=False)
    assert len(first.items) >= 2 and not first.errors, first.to_json()
    assert sent[-4:] == ["UID STORE", "UNSELECT", "STATUS", "LOGOUT"] and sent.count("UNSELECT") == 1, sent
    for n in range(2):
        indexed.append(filler(200 + n))  # another connection delivers, right after our keyword
        sent.clear()
        nxt = ingest_mail(app, receipts=False)
        assert [i["subject"].startswith(f"Thu cu {RUN}-{200 + n}-") for i in nxt.items] == [True], nxt.to_json()
        assert sent[-4:] == ["UID STORE", "UNSELECT", "STATUS", "LOGOUT"], sent
    sent.clear()
    idle = ingest_mail(app, receipts=False)
    assert not idle.items and not idle.errors and sent == ["CAPABILITY", "LOGIN", "STATUS", "LOGOUT"], sent
    indexed.append(filler(299))
    later = ingest_mail(app, receipts=False)
    assert [i["subject"].startswith(f"Thu cu {RUN}-299-") for i in later.items] == [True], later.to_json()


def test_flagging_never_expunges_what_others_marked_deleted(indexed, app):
    """Our keyword is one UID STORE: a message another client marked \\Deleted (not yet
    expunged) stays in the folder after a run flags the messages around it. imap-tools'
    `flag()` sent EXPUNGE after its STORE, which removed it."""
    from flows.intake.mail import ingest_mail

    app.settings.imap = indexed.settings(ack_flag=f"Keep{uuid.uuid4().hex[:8]}")
    indexed.append(filler(300), flags=("\\Deleted",))
    indexed.append(filler(301))
    report = ingest_mail(app, receipts=False)
    assert not report.errors and len(report.items) >= 2, report.to_json()
    conn = indexed.client()
    try:
        conn.select("INBOX", readonly=True)
        typ, data = conn.uid("SEARCH", None, "DELETED")  # type: ignore[arg-type]
        assert typ == "OK" and data[0].split(), data  # still there
        _, flagged = conn.uid("SEARCH", None, "KEYWORD", app.settings.imap.ack_flag)  # type: ignore[arg-type]
        assert set(data[0].split()) <= set(flagged[0].split())  # and taken like any other
    finally:
        conn.logout()


def test_server_refusing_unselect_costs_only_the_refresh(indexed, app, monkeypatch):
    """A server without UNSELECT answers BAD: the run still succeeds and logs out, sends no
    STATUS on the selected folder, and the next poll sees new mail."""
    import imaplib

    from flows.intake.mail import ingest_mail

    sent: list[str] = []
    original = imaplib.IMAP4._simple_command

    def refusing(self, name, *args):  # noqa: ANN001, ANN202
        sent.append(name)
        if name == "UNSELECT":
            raise imaplib.IMAP4.error("UNSELECT command error: BAD [b'Unknown command.']")
        return original(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_simple_command", refusing)
    app.settings.imap = indexed.settings(ack_flag=f"NoUnselect{uuid.uuid4().hex[:8]}")
    indexed.append(filler(400))
    sent.clear()
    first = ingest_mail(app, receipts=False)
    assert first.items and not first.errors, first.to_json()
    assert sent[-3:] == ["UID", "UNSELECT", "LOGOUT"], sent
    indexed.append(filler(401))
    nxt = ingest_mail(app, receipts=False)
    assert [i["subject"].startswith(f"Thu cu {RUN}-401-") for i in nxt.items] == [True], nxt.to_json()
