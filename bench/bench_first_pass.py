"""First connection to a full mailbox: the first pass over N messages, A of them with a real
.docx report attached, against a baseline measured in the same run (issue 14: ≤ 2×).

Baseline: imap-tools' own bulk fetch (`MailBox.fetch(bulk=100, mark_seen=False)`), python-docx
opening every attachment, and one bare SQLite insert + commit per message (what "commit per
message" costs at least). baocao: `ingest_mail` on a fresh SQLite database (blob store with
fsync, parse, classify, attribute, ledger + documents + submissions, one commit per message,
then the keyword flag on the server), receipts off; once with the parse-ahead pool (default
settings: workers = cores) and once without (pool threshold out of reach).

Usage: .venv/bin/python bench/bench_first_pass.py [N] [A] [ROUNDS]   (default 2000 messages, 60
reports, 1 round; the issue's 10000 / 300 take several minutes on a shared 2-core machine).
With several rounds each round measures the baseline and both runs again, one after the other,
and the ratios are taken within each round (the load of a shared machine moves between them);
the medians are printed.
"""

from __future__ import annotations

import io
import sqlite3
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "mail"))

import docx  # noqa: E402
from imap_tools import AND, MailBoxUnencrypted  # noqa: E402

if TYPE_CHECKING:
    from flows.dev.dovecot import DovecotServer

# baocao's own modules are imported where they are used, not here: the parse pool's workers
# (multiprocessing's forkserver) import the main module again, each of them, and baocao's
# real main module is the light console script (flows.cli.main, ~0.1 s), not this bench.

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
A = int(sys.argv[2]) if len(sys.argv) > 2 else 60
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
AGENCIES = [("sotp", "SỞ TƯ PHÁP"), ("soyt", "SỞ Y TẾ"), ("sotc", "SỞ TÀI CHÍNH"), ("soct", "SỞ CÔNG THƯƠNG"), ("soxd", "SỞ XÂY DỰNG")]


def message(i: int, with_report: bool) -> bytes:
    from reportdocs import report_docx

    msg = EmailMessage()
    if with_report:
        code, upper = AGENCIES[i % len(AGENCIES)]
        msg["From"], msg["Subject"] = f"{code}@quangngai.example", f"Báo cáo Đề án 996 (số {i})"
        msg.set_content("Kính gửi Sở KHCN, gửi kèm báo cáo.")
        msg.add_attachment(report_docx(upper, f"{i}/BC", plan=1000 + i), maintype="application", subtype="octet-stream", filename="BC.docx")
    else:
        msg["From"], msg["Subject"] = f"nguoi{i % 97}@congty.example", f"Trao đổi công việc số {i}"
        msg.set_content(f"Nội dung thư trao đổi số {i}.\n" * 5)
    msg["To"], msg["Message-ID"] = "tdc@skhcn.quangngai.example", f"<first-{i}@example.vn>"
    msg["Date"] = "Mon, 04 Aug 2025 08:00:00 +0700"
    return msg.as_bytes()


def baseline(server: DovecotServer, db: Path) -> tuple[float, int]:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE m (uid INTEGER PRIMARY KEY, subject TEXT, size INTEGER)")
    start = time.perf_counter()
    count = 0
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password, "INBOX") as box:
        for msg in box.fetch(AND(all=True), mark_seen=False, bulk=100):
            for att in msg.attachments:
                if att.filename.endswith(".docx"):
                    docx.Document(io.BytesIO(att.payload))
            conn.execute("INSERT INTO m VALUES (?, ?, ?)", (int(msg.uid or 0), msg.subject, len(msg.obj.as_bytes())))
            conn.commit()
            count += 1
    took = time.perf_counter() - start
    conn.close()
    return took, count


def ours(server: DovecotServer, tmp: Path, name: str, pool: bool) -> tuple[float, int]:
    from config.settings import Settings
    from flows.app import App, init
    from flows.intake.mail import ingest_mail

    settings = Settings(_env_file=None, data_dir=tmp / name, config_dir=ROOT / "config")
    settings.imap = server.settings(ack_flag=f"Baocao{name.capitalize()}")
    if not pool:
        settings.parse_pool_min = 10**9
    app = App(settings)
    init(app)
    start = time.perf_counter()
    report = ingest_mail(app, receipts=False)
    took = time.perf_counter() - start
    assert report.failed == 0 and len(report.items) == N, report.to_json()["counts"]
    app.engine.dispose()
    return took, len(report.items)


def main() -> None:
    from flows.dev.dovecot import DovecotServer

    every = max(1, N // max(A, 1))
    with tempfile.TemporaryDirectory() as tmpdir, DovecotServer() as server:
        tmp = Path(tmpdir)
        start = time.perf_counter()
        server.seed_maildir([message(i, A > 0 and i % every == 0 and i // every < A) for i in range(N)])
        conn = server.client()
        conn.select("INBOX")
        conn.logout()
        print(f"mailbox: {N:,} messages, {A} with a .docx report, seeded in {time.perf_counter() - start:.1f} s")  # noqa: T201
        labels = (
            "baseline (imap-tools bulk fetch + python-docx open + bare SQLite insert/commit)",
            "baocao ingest_mail, parse pool on",
            "baocao ingest_mail, parse pool off",
        )
        times: dict[str, list[float]] = {label: [] for label in labels}
        ratios: dict[str, list[float]] = {label: [] for label in labels}
        for r in range(ROUNDS):
            runs = {
                labels[0]: baseline(server, tmp / f"bare{r}.sqlite"),
                labels[1]: ours(server, tmp, f"pool{r}", pool=True),
                labels[2]: ours(server, tmp, f"serial{r}", pool=False),
            }
            for label, (took, count) in runs.items():
                assert count == N, (label, count)
                times[label].append(took)
                ratios[label].append(took / runs[labels[0]][0])
            load = Path("/proc/loadavg").read_text().split()[:3]
            print(f"round {r + 1}: " + ", ".join(f"{t[-1]:.1f} s" for t in times.values()) + f"; load average {' '.join(load)}")  # noqa: T201
        print(f"medians of {ROUNDS} round(s); 2 cores shared with other engineers' tests")  # noqa: T201
        for label in labels:
            took = statistics.median(times[label])
            print(f"{label:<82} {took:>7.1f} s {N / took:>7.1f} msg/s {statistics.median(ratios[label]):>5.2f}×")  # noqa: T201

if __name__ == "__main__":
    main()
