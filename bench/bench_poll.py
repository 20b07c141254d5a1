"""Polling cost against history: 10 new mails with a 100,000-message ledger and mailbox vs
with a 10-message one, on SQLite and PostgreSQL, plus an idle poll, `status` and a dry-run
`remind` (issue 14: each ≤ 1.2×).

Two real Dovecot servers on 127.0.0.1 storing mail as mdbox (Dovecot's indexed storage; with
--maildir, Maildir as before): the big INBOX seeded with BIG messages (one `doveadm import` of
a staged Maildir; Maildir files written directly with --maildir), the small one with 10. Each ledger is seeded for real: every earlier message
has its row (same mailbox, UIDVALIDITY and UIDs as on the server, already flagged), a blob,
documents, sent receipts, settled review items and events, bulk-inserted through the models
(`flows.dev.history.seed_ledger`); the folder's last UID is the top. Each round appends 10
replies with a real .docx report and runs `ingest_mail` with receipts on (to an SMTP capture,
no rate limit). SQLite and PostgreSQL read the same servers with their own keyword flag.

Idle polls are measured twice: right after the ingest (the first look after our own flags
changed INBOX) and once more (the steady state of a mailbox where nothing happens). Dovecot runs
with the settings README recommends (`mailbox_list_index_include_inbox = yes`, so STATUS INBOX
is answered from the mailbox list index); BENCH_DOVECOT_DEFAULTS=1 runs Dovecot's defaults.

Usage: .venv/bin/python bench/bench_poll.py [BIG] [--maildir]   (default 100000; BAOCAO_TEST_PG for PG)
"""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "mail"))

from config.settings import Settings  # noqa: E402
from flows.app import App, init, status_report  # noqa: E402
from flows.dev.dovecot import DovecotServer  # noqa: E402
from flows.dev.history import seed_ledger  # noqa: E402
from flows.dev.smtp_capture import SmtpCapture  # noqa: E402
from flows.intake.mail import ingest_mail  # noqa: E402
from flows.outbound.reminders import remind  # noqa: E402
from storage.ingest import advance_mailbox, mailbox_state  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
IDLE_AGAIN = 5  # idle polls after the first one, per round (cheap: more samples of a few ms)
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIG = int(ARGS[0]) if ARGS else 100_000
# Maildir re-reads its cur/ directory after new mail (below); mdbox keeps an index instead.
MAIL_FORMAT = "maildir" if "--maildir" in sys.argv[1:] else "mdbox"
PG_ADMIN = os.environ.get("BAOCAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
VN = dt.timezone(dt.timedelta(hours=7))
# Dovecot's Maildir re-reads its 100,000-entry cur/ directory after changes (new mail, flags):
# a cost of the server's storage that no client can avoid. So each run's time is also split
# into time spent waiting for IMAP replies and baocao's own time (database, parsing, SMTP).
DOVECOT = "\n".join(
    line
    for switch, line in (("BENCH_DIRTY_SYNCS", "maildir_very_dirty_syncs = yes"), ("BENCH_DOVECOT_DEFAULTS", "mailbox_list_index_include_inbox = no"))
    if os.environ.get(switch) == "1"
)
# Seconds waiting for the server: every command, and the connection with its greeting; and
# of that, the STATUS commands alone (where Dovecot may open INBOX's index).
IMAP_WAIT = [0.0]
STATUS_WAIT = [0.0]


def _timed(method):  # noqa: ANN001, ANN202
    def timed_method(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            took = time.perf_counter() - start
            IMAP_WAIT[0] += took
            if args and args[0] == "STATUS":
                STATUS_WAIT[0] += took

    return timed_method


imaplib.IMAP4._simple_command = _timed(imaplib.IMAP4._simple_command)  # type: ignore[method-assign]
imaplib.IMAP4.open = _timed(imaplib.IMAP4.open)  # type: ignore[method-assign]
imaplib.IMAP4._connect = _timed(imaplib.IMAP4._connect)  # type: ignore[attr-defined]


def filler(i: int) -> bytes:
    return (
        f"From: nguoi{i % 97}@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\n"
        f"Subject: Thu cu so {i}\r\nMessage-ID: <cu-{i}@congty.example>\r\n"
        f"Date: Mon, 02 Jun 2025 08:00:00 +0700\r\n\r\nNoi dung thu cu {i}.\r\n"
    ).encode()


def new_mail(round_no: int, i: int) -> bytes:
    from email.message import EmailMessage

    from reportdocs import report_docx

    agencies = [("sotp", "SỞ TƯ PHÁP"), ("soyt", "SỞ Y TẾ"), ("sotc", "SỞ TÀI CHÍNH"), ("soct", "SỞ CÔNG THƯƠNG"), ("soxd", "SỞ XÂY DỰNG")]
    code, upper = agencies[i % len(agencies)]
    msg = EmailMessage()
    msg["From"], msg["To"] = f"{code}@quangngai.example", "tdc@skhcn.quangngai.example"
    msg["Subject"] = f"Báo cáo Đề án 996 (lần {round_no}.{i})"
    msg["Message-ID"] = f"<bench-{round_no}-{i}@quangngai.example>"
    msg.set_content("Gửi báo cáo.")
    msg.add_attachment(report_docx(upper, f"{round_no}{i}/BC", plan=1000 + 10 * round_no + i), maintype="application", subtype="octet-stream", filename="BC.docx")
    return msg.as_bytes()


def pg_database() -> str:
    import psycopg

    name = f"baocao_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def drop_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def make_app(tmp: Path, name: str, url: str, server: DovecotServer, smtp: SmtpCapture, flag: str) -> App:
    settings = Settings(_env_file=None, data_dir=tmp / name, config_dir=ROOT / "config", database_url=url)
    settings.imap = server.settings(ack_flag=flag)
    settings.smtp = smtp.settings()
    settings.smtp.rate_limit = 0
    app = App(settings)
    init(app)
    return app


def seed_history(app: App, server: DovecotServer, count: int) -> None:
    """The ledger as months of polling left it: a row per message, the last UID at the top."""
    conn = server.client()
    conn.select("INBOX")
    validity = int(conn.response("UIDVALIDITY")[1][0])
    conn.logout()
    key = f"{server.user}@{server.host}/INBOX"
    with app.session() as session:
        seed_ledger(session, "de-an-996", key, validity, count)
        mailbox_state(key, validity, session=session)
        advance_mailbox(key, validity, count, session=session)
    if app.engine.dialect.name == "postgresql":
        with app.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    IMAP_WAIT[0] = STATUS_WAIT[0] = 0.0
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def imap_wait() -> float:
    """Seconds of the last timed run spent waiting for the IMAP server (connection included)."""
    return IMAP_WAIT[0]


def main() -> None:  # noqa: PLR0915 — a linear script
    pg_urls = [pg_database(), pg_database()]
    try:
        with tempfile.TemporaryDirectory() as tmpdir, DovecotServer(extra_config=DOVECOT, mail_format=MAIL_FORMAT) as small, DovecotServer(extra_config=DOVECOT, mail_format=MAIL_FORMAT) as big, SmtpCapture(tls=False) as smtp:
            tmp = Path(tmpdir)
            start = time.perf_counter()
            big.seed([filler(i) for i in range(BIG)])
            small.seed([filler(i) for i in range(10)])
            conn = big.client()
            conn.select("INBOX")  # Dovecot indexes the folder once, outside the timings
            conn.logout()
            print(f"mailboxes ({MAIL_FORMAT}): {BIG:,} + 10 messages in {time.perf_counter() - start:.1f} s")  # noqa: T201
            apps: dict[tuple[str, str], App] = {}
            for backend, urls in (("sqlite", [f"sqlite:///{tmp}/small.sqlite", f"sqlite:///{tmp}/big.sqlite"]), ("postgresql", pg_urls)):
                for size, server, url, count in (("10", small, urls[0], 10), ("big", big, urls[1], BIG)):
                    start = time.perf_counter()
                    app = make_app(tmp, f"{backend}-{size}", url, server, smtp, f"Baocao{backend.capitalize()}")
                    seed_history(app, server, count)
                    apps[(backend, size)] = app
                    print(f"ledger {backend} {count:,} rows seeded in {time.perf_counter() - start:.1f} s")  # noqa: T201
            times: dict[tuple[str, str, str], list[float]] = {}
            for round_no in range(ROUNDS):
                mails = [new_mail(round_no, i) for i in range(10)]
                when = dt.datetime(2025, 7, 10, 9, 0, tzinfo=dt.UTC)
                for server in (small, big):
                    for raw in mails:
                        server.append(raw, date=when)
                for (backend, size), app in apps.items():
                    took, report = timed(lambda app=app: ingest_mail(app))
                    assert report.new == 10 and report.receipts and len(report.receipts["sent"]) == 10, report.to_json()  # type: ignore[attr-defined]
                    times.setdefault((backend, size, "ingest"), []).append(took)
                    times.setdefault((backend, size, "ingest, baocao's own"), []).append(took - imap_wait())
                    for what in ("idle after ingest", *["idle again"] * IDLE_AGAIN):
                        idle, report = timed(lambda app=app: ingest_mail(app))
                        assert report.new == 0 and not report.errors, report.to_json()  # type: ignore[attr-defined]
                        times.setdefault((backend, size, what), []).append(idle)
                        times.setdefault((backend, size, f"{what}, IMAP"), []).append(imap_wait())
                        times.setdefault((backend, size, f"{what}, STATUS"), []).append(STATUS_WAIT[0])
                        times.setdefault((backend, size, f"{what}, baocao's own"), []).append(idle - imap_wait())
                    times.setdefault((backend, size, "status"), []).append(timed(lambda app=app: status_report(app))[0])
                    now = dt.datetime(2025, 7, 15, 9, 0, tzinfo=VN)
                    times.setdefault((backend, size, "remind"), []).append(timed(lambda app=app, now=now: remind(app, now=now, dry_run=True))[0])
            load = Path("/proc/loadavg").read_text().split()[:3]
            print(f"\nDovecot: {MAIL_FORMAT}, " + ("; ".join(DOVECOT.splitlines()) or "settings as README recommends (mailbox_list_index_include_inbox = yes)"))  # noqa: T201
            print(f"median of {ROUNDS} rounds (idle poll again: of {ROUNDS * IDLE_AGAIN}); load average {' '.join(load)} (machine shared with other engineers)")  # noqa: T201
            print(f"{'backend':<11} {'run':<24} {'10 history':>11} {f'{BIG:,} history':>16} {'ratio':>6}")  # noqa: T201
            labels = {
                "ingest": "ingest of 10 new mails",
                "ingest, baocao's own": "  without IMAP waits",
                "idle after ingest": "idle poll after ingest",
                "idle after ingest, IMAP": "  IMAP waits",
                "idle after ingest, STATUS": "    of which STATUS",
                "idle after ingest, baocao's own": "  without IMAP waits",
                "idle again": "idle poll, again",
                "idle again, IMAP": "  IMAP waits",
                "idle again, STATUS": "    of which STATUS",
                "idle again, baocao's own": "  without IMAP waits",
                "status": "status (28 recipients)",
                "remind": "remind --dry-run",
            }
            for backend in ("sqlite", "postgresql"):
                for what, label in labels.items():
                    s = statistics.median(times[(backend, "10", what)])
                    b = statistics.median(times[(backend, "big", what)])
                    print(f"{backend:<11} {label:<24} {s * 1000:>9.1f}ms {b * 1000:>14.1f}ms {b / s:>6.2f}")  # noqa: T201
            for app in apps.values():
                app.engine.dispose()
    finally:
        for url in pg_urls:
            drop_pg(url)


if __name__ == "__main__":
    main()
