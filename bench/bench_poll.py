"""Polling cost: an ingest of 10 new mails in a 10,000-message mailbox vs in a 10-message one.

Both mailboxes are real Dovecot servers on 127.0.0.1 (the big one seeded by writing Maildir
files directly); the earlier messages count as already handled (the ledger's last UID), as in
production. Prints median seconds per run and the ratio (target ≤ 1.5), plus the cost of a poll
with nothing new.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "mail"))

from config.settings import Settings  # noqa: E402
from flows.app import App, init  # noqa: E402
from flows.dev.dovecot import DovecotServer  # noqa: E402
from flows.intake.mail import ingest_mail  # noqa: E402
from storage.ingest import advance_mailbox, mailbox_state  # noqa: E402

ROUNDS = 5
BIG = 10_000


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


def make_app(tmp: Path, server: DovecotServer, name: str) -> App:
    settings = Settings(_env_file=None, data_dir=tmp / name, config_dir=ROOT / "config")
    settings.imap = server.settings()
    app = App(settings)
    init(app)
    return app


def mark_handled(app: App, server: DovecotServer) -> None:
    """The earlier messages were ingested long ago: the ledger's last UID is the highest."""
    conn = server.client()
    conn.select("INBOX")
    validity = int(conn.response("UIDVALIDITY")[1][0])
    uids = conn.uid("SEARCH", None, "ALL")[1][0].split()
    conn.logout()
    key = f"{server.user}@{server.host}/INBOX"
    with app.session() as session:
        mailbox_state(key, validity, session=session)
        advance_mailbox(key, validity, int(uids[-1]) if uids else 0, session=session)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmpdir, DovecotServer() as small, DovecotServer() as big:
        tmp = Path(tmpdir)
        start = time.perf_counter()
        big.seed_maildir([filler(i) for i in range(BIG)])
        small.seed_maildir([filler(i) for i in range(10)])
        apps = {"10": make_app(tmp, small, "small"), "10000": make_app(tmp, big, "big")}
        for server, app in ((small, apps["10"]), (big, apps["10000"])):
            mark_handled(app, server)
        print(f"seeded {BIG} + 10 messages in {time.perf_counter() - start:.1f} s")  # noqa: T201
        servers = {"10": small, "10000": big}
        ingest_times: dict[str, list[float]] = {"10": [], "10000": []}
        idle_times: dict[str, list[float]] = {"10": [], "10000": []}
        for round_no in range(ROUNDS):
            mails = [new_mail(round_no, i) for i in range(10)]
            when = dt.datetime(2025, 7, 10, 9, 0, tzinfo=dt.UTC)
            for server in servers.values():
                for raw in mails:
                    server.append(raw, date=when)
            for size, app in apps.items():
                report = None

                def run(app=app):
                    nonlocal report
                    report = ingest_mail(app, receipts=False)

                ingest_times[size].append(timed(run))
                assert report is not None and report.new == 10, report.to_json()["items"]
                idle_times[size].append(timed(lambda app=app: ingest_mail(app, receipts=False)))
        small_t, big_t = statistics.median(ingest_times["10"]), statistics.median(ingest_times["10000"])
        small_i, big_i = statistics.median(idle_times["10"]), statistics.median(idle_times["10000"])
        print(f"ingest of 10 new mails: 10-message mailbox {small_t:.3f} s, 10,000-message mailbox {big_t:.3f} s")  # noqa: T201
        print(f"ratio (10,000 / 10): {big_t / small_t:.2f}  (target ≤ 1.5)")  # noqa: T201
        print(f"poll with nothing new: {small_i * 1000:.1f} ms vs {big_i * 1000:.1f} ms, ratio {big_i / small_i:.2f}")  # noqa: T201
        for app in apps.values():
            app.engine.dispose()


if __name__ == "__main__":
    main()
