"""Bulk chunked fetch, refusals backed off from and retried next run, the first-poll margin
as a setting, and the parse-ahead pool — against a real Dovecot, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.dev.dovecot import DovecotServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
VN = dt.timezone(dt.timedelta(hours=7))
BASE = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
NAMES = ["01_report_rfc2231", "05_nil_body_cp1258", "06_nil_docx", "07_ack_html_only", "03_word_plus_pdf", "15_zip_report", "08_auto_reply"]


def eml(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


@pytest.fixture
def folder() -> str:
    return f"B{uuid.uuid4().hex[:10]}"


@pytest.fixture
def box_app(app, dovecot, folder):
    app.settings.imap = dovecot.settings(folder=folder)
    for i, name in enumerate(NAMES):
        dovecot.append(eml(name), folder=folder, date=BASE + dt.timedelta(hours=i))
    return app


def outcome(app) -> list[tuple]:
    from storage.models import InboundMail, Submission

    with app.session() as s:
        mails = sorted((m.uid, m.status, m.classification, m.server_marked_at is not None) for m in s.scalars(select(InboundMail)))
        subs = sorted((x.recipient_id, x.kind, x.content_key) for x in s.scalars(select(Submission)))
    return [mails, subs]


def commands(source) -> list[tuple]:
    """Record what the adapter sends (the IMAP verbs and their arguments)."""
    sent: list[tuple] = []
    client = source.box.client
    original = client.uid

    def uid(command, *args):
        sent.append((command.upper(), *args))
        return original(command, *args)

    client.uid = uid
    return sent


def test_chunked_bulk_fetch_and_ascii_search(box_app, monkeypatch):
    from flows.adapters.imap import ImapSource

    box_app.settings.imap.fetch_chunk = 3
    with ImapSource(box_app.settings.imap) as source:
        sent = commands(source)
        uids = source.new_uids(0, dt.date(2025, 6, 1))
        fetched = list(source.fetch(uids))
    assert [m.uid for m in fetched] == list(range(1, len(NAMES) + 1))
    for m, name in zip(fetched, NAMES, strict=True):
        message_id = next(line for line in eml(name).splitlines() if line.lower().startswith(b"message-id:"))
        assert message_id in m.raw
    assert all(m.internal_date is not None for m in fetched)
    search = [c for c in sent if c[0] == "SEARCH"]
    assert len(search) == 1 and "CHARSET" not in search[0]
    assert all(a.isascii() for a in search[0][1:]) and b"UID 1:*" in search[0][-1]
    bodies = [c for c in sent if c[0] == "FETCH" and "BODY.PEEK[]" in c[2]]
    assert [c[1] for c in bodies] == ["1:3", "4:6", "7"]  # one UID FETCH per chunk of 3
    # A byte cap below one message: each message travels alone, nothing is lost.
    box_app.settings.imap.fetch_chunk_bytes = 1
    with ImapSource(box_app.settings.imap) as source:
        sent = commands(source)
        assert [m.uid for m in source.fetch(list(range(1, len(NAMES) + 1)))] == list(range(1, len(NAMES) + 1))
    assert len([c for c in sent if c[0] == "FETCH" and "BODY.PEEK[]" in c[2]]) == len(NAMES)


def test_refused_fetch_midway_is_retried_next_run(box_app, monkeypatch):
    from flows.adapters import imap
    from flows.adapters.imap import ImapSource, MailboxBusy
    from flows.intake.mail import ingest_mail
    from storage.models import MailboxState

    box_app.settings.imap.fetch_chunk = 2
    monkeypatch.setattr(imap, "BACKOFF", (0.01,))
    original = ImapSource._uid_fetch
    calls = {"n": 0}

    def throttled(self, uids, parts, what):
        if "BODY.PEEK" in parts:
            calls["n"] += 1
            if calls["n"] >= 3:  # the third chunk: the server says "not now"
                raise MailboxBusy("máy chủ thư tạm từ chối tải thư ([THROTTLED]); sẽ thử tiếp ở lần chạy sau")
        return original(self, uids, parts, what)

    monkeypatch.setattr(ImapSource, "_uid_fetch", throttled)
    first = ingest_mail(box_app, receipts=False).to_json()
    # Chunks 1 and 2 were fetched (chunk 2 ahead of handling chunk 1): four messages done.
    assert [i["uid"] for i in first["items"]] == [1, 2, 3, 4]
    assert any("lần chạy sau" in e for e in first["errors"])
    with box_app.session() as s:
        assert s.scalars(select(MailboxState)).one().last_uid == 4  # not the top: 5.. still to do
    monkeypatch.setattr(ImapSource, "_uid_fetch", original)
    second = ingest_mail(box_app, receipts=False).to_json()
    assert [i["uid"] for i in second["items"]] == [5, 6, 7] and not second["errors"]
    mails, _ = outcome(box_app)
    assert [m[0] for m in mails] == list(range(1, 8)) and all(m[3] for m in mails)  # all flagged


def test_too_many_connections_is_backed_off_and_retried_next_run(app, monkeypatch):
    from flows.adapters import imap
    from flows.intake.mail import ingest_mail

    monkeypatch.setattr(imap, "BACKOFF", (0.05, 0.05))
    with DovecotServer(max_connections=1) as server:
        app.settings.imap = server.settings()
        server.append(eml("01_report_rfc2231"), date=BASE)
        holder = server.client()  # another program holds the only connection allowed
        holder.select("INBOX")
        refused = ingest_mail(app, receipts=False).to_json()
        assert refused["counts"]["total"] == 0
        assert len(refused["errors"]) == 1 and "Maximum number of connections" in refused["errors"][0]
        assert "thử tiếp ở lần chạy sau" in refused["errors"][0]
        holder.logout()
        later = ingest_mail(app, receipts=False).to_json()
        assert later["counts"]["new"] == 1 and not later["errors"]


def test_first_poll_margin_is_a_setting_over_every_campaign(box_app, dovecot, folder):
    from flows.intake.inbox import fetch_since, inbox_context

    ctx = inbox_context(box_app)
    request = min(c.request.date for c in box_app.campaigns if c.request.date)
    assert fetch_since(ctx, box_app.settings.imap.first_poll_margin_days) == request - dt.timedelta(days=30)
    box_app.settings.imap.first_poll_margin_days = 400
    assert fetch_since(ctx, box_app.settings.imap.first_poll_margin_days) == request - dt.timedelta(days=400)


def test_parse_pool_gives_the_same_outcome(dovecot, tmp_path, settings_factory, db_url, monkeypatch):
    """The parse-ahead pool (real worker processes) records exactly what the serial path does."""
    from flows.app import App, init
    from flows.intake import pool
    from flows.intake.mail import ingest_mail

    used: list[int] = []
    close = pool.AheadParse.close

    def counting_close(self):
        used.append(self.from_pool)
        close(self)

    monkeypatch.setattr(pool.AheadParse, "close", counting_close)

    results = []
    for pool_min in (1, 10_000):
        folder = f"P{uuid.uuid4().hex[:10]}"
        for i, name in enumerate(NAMES):
            dovecot.append(eml(name), folder=folder, date=BASE + dt.timedelta(hours=i))
        settings = settings_factory(database_url=db_url if pool_min == 1 else f"sqlite:///{tmp_path / 'serial.sqlite3'}")
        settings.data_dir = tmp_path / f"data-{pool_min}"
        settings.imap = dovecot.settings(folder=folder)
        settings.parse_pool_min, settings.parse_workers = pool_min, 2
        settings.imap.fetch_chunk = 3
        other = App(settings)
        init(other)
        report = ingest_mail(other, receipts=False).to_json()
        assert report["counts"]["failed"] == 0, report["items"]
        results.append(outcome(other))
        other.engine.dispose()
    assert results[0] == results[1]
    from parsers.mail import parse_mail

    files = sum(len(parse_mail(eml(n)).attachments) for n in NAMES)
    assert files >= 5 and used == [files, 0]  # every file came from a worker; none without the pool


@pytest.mark.parametrize(("pool_min", "from_pool"), [(4, True), (5, False)])
def test_parse_pool_starts_for_files_spread_over_many_chunks(dovecot, tmp_path, settings_factory, db_url, monkeypatch, pool_min, from_pool):
    """A first pass has its reports spread thin (a few per fetched chunk): the pool starts when
    the poll holds `parse_pool_min` messages as large as a mail with a file (here 4 of them,
    one message per chunk), not only when that many files wait in one chunk."""
    from flows.app import App, init
    from flows.intake import pool
    from flows.intake.mail import ingest_mail
    from parsers.mail import parse_mail

    assert sum(len(eml(n)) >= pool.FILE_SIZE_HINT for n in NAMES) == 4
    used: list[int] = []
    close = pool.AheadParse.close

    def counting_close(self):
        used.append(self.from_pool)
        close(self)

    monkeypatch.setattr(pool.AheadParse, "close", counting_close)
    folder = f"S{uuid.uuid4().hex[:10]}"
    for i, name in enumerate(NAMES):
        dovecot.append(eml(name), folder=folder, date=BASE + dt.timedelta(hours=i))
    settings = settings_factory(database_url=db_url)
    settings.imap = dovecot.settings(folder=folder)
    settings.parse_pool_min, settings.parse_workers = pool_min, 2
    settings.imap.fetch_chunk = 1
    other = App(settings)
    init(other)
    report = ingest_mail(other, receipts=False).to_json()
    other.engine.dispose()
    assert report["counts"]["failed"] == 0, report["items"]
    files = sum(len(parse_mail(eml(n)).attachments) for n in NAMES)
    assert used == [files if from_pool else 0]
