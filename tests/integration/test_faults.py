"""Crashes at named points (SIGKILL of a real `baocao ingest mail` process) against Dovecot and
a real SMTP server, on SQLite and PostgreSQL: every processed reply ends with exactly one
submission and exactly one receipt, however the run died."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mail"
VN = dt.timezone(dt.timedelta(hours=7))
# Three replies that each get a receipt (a report, a nil report, a letter with a report).
REPLIES = ("01_report_rfc2231", "06_nil_docx", "04_letter_plus_report")


@pytest.fixture
def folder() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def mail_app(app, dovecot, smtp, folder):
    """The initialised app, its mailbox a fresh folder of the shared Dovecot."""
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    return app


def put(dovecot, folder: str, name: str, when: dt.datetime) -> None:
    dovecot.append((FIXTURES / f"{name}.eml").read_bytes(), folder=folder, date=when)


def cli_env(app, dovecot, smtp, folder: str) -> dict[str, str]:
    """The environment of a `baocao` process using this test's database, mailbox and SMTP."""
    s = app.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(
        BAOCAO_DATABASE_URL=s.effective_database_url,
        BAOCAO_DATA_DIR=str(s.data_dir),
        BAOCAO_CONFIG_DIR=str(s.config_dir),
        BAOCAO_IMAP__HOST=dovecot.host,
        BAOCAO_IMAP__PORT=str(dovecot.port),
        BAOCAO_IMAP__USER=dovecot.user,
        BAOCAO_IMAP__PASSWORD=dovecot.password,
        BAOCAO_IMAP__SECURITY="none",
        BAOCAO_IMAP__FOLDER=folder,
        BAOCAO_SMTP__HOST=smtp.host,
        BAOCAO_SMTP__PORT=str(smtp.port),
        BAOCAO_SMTP__SECURITY="none",
        BAOCAO_SMTP__SENDER="tdc@skhcn.quangngai.example",
        BAOCAO_SMTP__RATE_LIMIT="0",
    )
    return env


def run_cli(env: dict[str, str], *args: str, kill_at: str | None = None, on: int = 1) -> subprocess.CompletedProcess[str]:
    """`baocao ARGS` in a child process, killed with SIGKILL at `kill_at` if given."""
    env = dict(env)
    if kill_at:
        env.update(BAOCAO_FAULT_KILL_AT=kill_at, BAOCAO_FAULT_KILL_ON=str(on))
    cmd = [sys.executable, "-m", "flows.dev.faults", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def receipts_by_reply(smtp) -> Counter[str]:
    """How many receipts the SMTP server got per original Message-ID."""
    return Counter(m.message["In-Reply-To"] for m in smtp.messages if m.message["X-Baocao-Kind"] == "receipt")


@pytest.mark.parametrize(
    ("point", "on"),
    [("before_commit", 2), ("after_commit", 2), ("before_send", 2), ("after_send", 2)],
)
def test_sigkill_at_a_named_point_loses_and_doubles_nothing(mail_app, dovecot, smtp, folder, point, on):
    from storage.models import InboundMail, OutboundMail, Submission

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for i, name in enumerate(REPLIES):
        put(dovecot, folder, name, base + dt.timedelta(hours=i))
    env = cli_env(mail_app, dovecot, smtp, folder)
    killed = run_cli(env, "ingest", "mail", "--json", kill_at=point, on=on)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with mail_app.session() as s:
        committed = len(list(s.scalars(select(InboundMail))))
    # Where it died: mid-message (1 committed), after the 2nd commit, or in the receipts (all 3).
    assert committed == {"before_commit": 1, "after_commit": 2}.get(point, 3)

    again = run_cli(env, "ingest", "mail", "--json")
    assert again.returncode == 0, again.stderr
    run_cli(env, "ingest", "mail", "--json")  # a third run changes nothing
    with mail_app.session() as s:
        mails = list(s.scalars(select(InboundMail).order_by(InboundMail.uid)))
        subs = Counter(x.inbound_mail_id for x in s.scalars(select(Submission)))
        slots = Counter(r.slot for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt")))
        states = {r.slot: r.status for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt"))}
    assert [m.status for m in mails] == ["processed"] * 3
    assert sorted(subs[m.id] for m in mails) == [1, 1, 1]  # one submission per reply
    assert sorted(slots.values()) == [1, 1, 1]  # one ledger row per message
    got = receipts_by_reply(smtp)
    assert sorted(got) == sorted(m.message_id for m in mails) and set(got.values()) == {1}, got
    if point == "after_send":
        # Handed to SMTP, then killed before confirming: never resent; a person confirms it.
        assert sorted(states.values()) == ["sending", "sent", "sent"]
    else:
        assert set(states.values()) == {"sent"}


@pytest.mark.parametrize("on", [2, 5])
def test_sigkill_mid_chunk_leaves_the_last_uid_behind_and_nothing_is_handled_twice(mail_app, dovecot, smtp, folder, on):
    """The folder's last UID moves once per fetched chunk (with its last message): a run killed
    after a commit mid-chunk leaves committed messages above the last UID; the next run fetches
    them again and the ledger's (mailbox, uidvalidity, uid) key keeps each from being handled,
    recorded or answered twice."""
    from storage.models import InboundMail, MailboxState, OutboundMail, Submission

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    names = ("12_newsletter", *REPLIES, "08_auto_reply", "07_ack_html_only")  # 6 messages, chunks of 4 + 2
    for i, name in enumerate(names):
        put(dovecot, folder, name, base + dt.timedelta(hours=i))
    env = cli_env(mail_app, dovecot, smtp, folder) | {"BAOCAO_IMAP__FETCH_CHUNK": "4"}
    killed = run_cli(env, "ingest", "mail", "--json", kill_at="after_commit", on=on)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with mail_app.session() as s:
        committed = sorted(m.uid for m in s.scalars(select(InboundMail)))
        last_uid = s.scalars(select(MailboxState.last_uid)).one()
    assert committed == list(range(1, on + 1))
    # Killed mid-chunk: the last UID is where the chunk before ended, below committed messages.
    assert last_uid == {2: 0, 5: 4}[on]

    again = run_cli(env, "ingest", "mail", "--json")
    assert again.returncode == 0, again.stderr
    run_cli(env, "ingest", "mail", "--json")  # a third run changes nothing
    with mail_app.session() as s:
        mails = list(s.scalars(select(InboundMail).order_by(InboundMail.uid)))
        subs = Counter(x.inbound_mail_id for x in s.scalars(select(Submission)))
        receipts = Counter(r.in_reply_to_mail_id for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt")))
        last_uid = s.scalars(select(MailboxState.last_uid)).one()
    assert [m.uid for m in mails] == [1, 2, 3, 4, 5, 6] and last_uid == 6
    assert all(m.server_marked_at is not None for m in mails)
    ids = {m.uid: m.id for m in mails}
    # One submission per reply and for the acknowledgement (UID 6), one receipt per reply.
    assert sorted(subs.items()) == [(ids[u], 1) for u in (2, 3, 4, 6)]
    assert sorted(receipts.items()) == [(ids[u], 1) for u in (2, 3, 4)]
    assert set(receipts_by_reply(smtp).values()) == {1}
    conn = dovecot.client()
    conn.select(folder)
    flags = conn.uid("FETCH", "1:*", "(FLAGS)")[1]
    conn.logout()
    assert len(flags) == 6 and all(b"BaocaoProcessed" in f for f in flags)


def test_receipt_is_reserved_with_its_message(mail_app, dovecot, smtp, folder):
    """The outbox row is written in the message's own transaction (before any sending)."""
    from flows.intake.mail import ingest_mail
    from storage.models import InboundMail, OutboundMail

    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    put(dovecot, folder, "08_auto_reply", dt.datetime(2025, 7, 10, 10, 0, tzinfo=VN))
    ingest_mail(mail_app, receipts=False)
    with mail_app.session() as s:
        mails = {m.uid: m.id for m in s.scalars(select(InboundMail))}
        rows = list(s.scalars(select(OutboundMail)))
    assert [(r.kind, r.status, r.in_reply_to_mail_id) for r in rows] == [("receipt", "pending", mails[1])]
    assert smtp.messages == []
    from flows.outbound.reminders import remind

    remind(mail_app, now=dt.datetime(2025, 7, 12, 9, 0, tzinfo=VN))  # any run delivers what is owed
    assert [m.message["X-Baocao-Kind"] for m in smtp.messages] == ["receipt"]


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2, one line on stderr starting with 'Lỗi:', no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Lỗi:") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_imap_cut_mid_fetch_is_one_line_and_the_next_run_recovers(mail_app, dovecot, smtp, folder):
    from flows.dev.cutproxy import CuttingProxy
    from storage.models import InboundMail

    for i, name in enumerate(REPLIES):
        put(dovecot, folder, name, dt.datetime(2025, 7, 10, 9 + i, 0, tzinfo=VN))
    env = cli_env(mail_app, dovecot, smtp, folder)
    with CuttingProxy((dovecot.host, dovecot.port), after=4096) as proxy:
        cut = run_cli({**env, "BAOCAO_IMAP__PORT": str(proxy.port)}, "ingest", "mail")
        assert proxy.cuts == 1
    assert_one_line_error(cut, "mất kết nối với hộp thư")
    again = run_cli(env, "ingest", "mail", "--json")
    assert again.returncode == 0, again.stderr
    with mail_app.session() as s:
        assert [m.status for m in s.scalars(select(InboundMail).order_by(InboundMail.uid))] == ["processed"] * 3
    got = receipts_by_reply(smtp)
    assert len(got) == 3 and set(got.values()) == {1}


@pytest.fixture
def small_disk(tmp_path):
    """The data directory on a 6 MB tmpfs (mounted for the test; needs root)."""
    where = tmp_path / "data"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (run the tests as root, or in a container with CAP_SYS_ADMIN): {mounted.stderr}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk up to the last byte; the file to delete to free it."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_disk_full_stops_cleanly_and_everything_is_retried(small_disk, mail_app, dovecot, smtp, folder):
    from storage.models import InboundMail, MailboxState

    assert mail_app.settings.data_dir == small_disk
    for i, name in enumerate(REPLIES):
        put(dovecot, folder, name, dt.datetime(2025, 7, 10, 9 + i, 0, tzinfo=VN))
    env = cli_env(mail_app, dovecot, smtp, folder)
    filler = fill(small_disk)
    full = run_cli(env, "ingest", "mail")
    assert_one_line_error(full, "ổ đĩa dữ liệu đã đầy", "UID 1")
    with mail_app.session() as s:
        assert list(s.scalars(select(InboundMail))) == []  # nothing half-written
        state = s.scalars(select(MailboxState)).one_or_none()
        assert state is None or state.last_uid == 0  # not moved past what was not stored
    filler.unlink()  # space returns
    again = run_cli(env, "ingest", "mail", "--json")
    assert again.returncode == 0, again.stderr
    with mail_app.session() as s:
        assert [m.status for m in s.scalars(select(InboundMail).order_by(InboundMail.uid))] == ["processed"] * 3
    got = receipts_by_reply(smtp)
    assert len(got) == 3 and set(got.values()) == {1}


def test_read_only_data_dir_is_one_line(small_disk, mail_app, dovecot, smtp, folder):
    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    env = cli_env(mail_app, dovecot, smtp, folder)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        result = run_cli(env, "ingest", "mail")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert_one_line_error(result, "chỉ cho đọc")
    assert run_cli(env, "ingest", "mail").returncode == 0
    assert len(receipts_by_reply(smtp)) == 1


def test_transient_failure_is_retried_a_bounded_number_of_times(mail_app, dovecot, smtp, folder, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from flows.app import status_report
    from flows.intake import mail as ingest
    from storage.models import InboundMail, MailboxState

    real = ingest._handle_new_mail
    left = {"sotp": 1, "hnd": 99}  # sender → failing attempts left (a lock, a lost connection)

    def flaky(ctx, row, mail, *decided, session):
        who = (mail.from_addr or "").split("@")[0]
        if left.get(who):
            left[who] -= 1
            raise OperationalError("INSERT", {}, Exception("could not serialize access"))
        return real(ctx, row, mail, *decided, session=session)

    monkeypatch.setattr(ingest, "_handle_new_mail", flaky)
    mail_app.settings.retry_limit = 3
    put(dovecot, folder, "01_report_rfc2231", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))  # sotp@
    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 10, 0, tzinfo=VN))  # hnd@
    first = ingest.ingest_mail(mail_app).to_json()
    assert [(i["status"], i.get("retry")) for i in first["items"]] == [("failed", True), ("failed", True)]
    with mail_app.session() as s:
        assert s.scalars(select(MailboxState)).one().last_uid == 2  # a retry set, not a stuck UID
    shown = {f["inbound_mail_id"]: f for f in status_report(mail_app)["failed"]}
    assert all(f["retry"] and f["attempts"] == 1 for f in shown.values())

    second = ingest.ingest_mail(mail_app).to_json()  # Tư pháp succeeds now
    assert sorted((i["uid"], i["status"]) for i in second["items"]) == [(1, "processed"), (2, "failed")]
    assert len(receipts_by_reply(smtp)) == 1
    third = ingest.ingest_mail(mail_app).to_json()
    assert [(i["uid"], i["status"], i["retry"], i["attempts"]) for i in third["items"]] == [(2, "failed", False, 3)]
    assert ingest.ingest_mail(mail_app).to_json()["items"] == []  # the limit is reached: left for a person
    with mail_app.session() as s:
        rows = {m.uid: m for m in s.scalars(select(InboundMail))}
    assert rows[1].status == "processed" and rows[2].status == "failed" and "serialize" in rows[2].error
    assert [f["retry"] for f in status_report(mail_app)["failed"]] == [False]


def test_permanent_failure_is_not_retried(mail_app, dovecot, folder, monkeypatch):
    from flows.intake import mail as ingest

    def broken(*args, **kwargs):
        raise RuntimeError("tệp hỏng giả lập")

    monkeypatch.setattr(ingest, "decide_mail", broken)
    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 10, 0, tzinfo=VN))
    first = ingest.ingest_mail(mail_app, receipts=False).to_json()
    assert [(i["status"], i["retry"], i["transient"]) for i in first["items"]] == [("failed", False, False)]
    assert ingest.ingest_mail(mail_app, receipts=False).to_json()["items"] == []


def test_unlisted_recipients_header_is_processed_not_failed(mail_app, dovecot, smtp, folder):
    import re

    from flows.intake.mail import ingest_mail

    raw = (FIXTURES / "06_nil_docx.eml").read_bytes()
    raw = re.sub(rb"(?m)^To:[^\r\n]*", b"To: unlisted-recipients:; (no To-header on input)", raw, count=1)
    assert b"unlisted-recipients" in raw
    dovecot.append(raw, folder=folder, date=dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    report = ingest_mail(mail_app).to_json()
    assert [(i["status"], i["classification"]) for i in report["items"]] == [("processed", "nil_report")]
    assert len(receipts_by_reply(smtp)) == 1
