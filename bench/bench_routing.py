"""Routing cost: the same 20 replies (a Word report each) handled with one open campaign and
with two (Đề án 996 + the test fixture `kiem-tra-do-luong-2025`): with two, every file is parsed
against both outlines and the outbound ledger is asked about the thread. SQLite, no IMAP (each
message goes through `handle_mail` as a poll hands it over). Prints the median ms per message
of three runs each.

Usage: .venv/bin/python bench/bench_routing.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "mail"))

from reportdocs import report_docx  # noqa: E402

from config.settings import Settings  # noqa: E402
from flows.app import App, init  # noqa: E402
from flows.intake.inbox import inbox_context  # noqa: E402
from flows.intake.mail import handle_mail  # noqa: E402

SECOND = ROOT / "tests" / "fixtures" / "campaigns"


def replies(count: int = 20) -> list[bytes]:
    """Replies from Sở Tư pháp, each with its own Word report."""
    out = []
    for i in range(count):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "sotp@quangngai.example", "tdc@skhcn.example", f"Báo cáo Đề án 996 ({i})"
        msg["Message-ID"] = f"<bench-{i}@quangngai.example>"
        msg.set_content("Gửi báo cáo.")
        msg.add_attachment(report_docx("SỞ TƯ PHÁP", f"{i}/BC-STP", plan=1000 + i), maintype="application",
                           subtype="octet-stream", filename="bc.docx")
        out.append(msg.as_bytes())
    return out


def per_message(two: bool, raws: list[bytes]) -> float:
    """Seconds per message for one fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        if two:
            for name in ("kiem-tra-do-luong-2025.yaml", "kiem-tra-do-luong-2025.csv"):
                shutil.copy(SECOND / name, config / "campaigns" / name)
        app = App(Settings(_env_file=None, data_dir=Path(tmp) / "data", config_dir=config))
        init(app)
        ctx = inbox_context(app, "de-an-996")
        start = time.perf_counter()
        for uid, raw in enumerate(raws, start=1):
            with app.session() as session:
                handle_mail(ctx, "bench/INBOX", 1, uid, raw, dt.datetime(2025, 8, 5, tzinfo=dt.UTC), session=session)
        elapsed = (time.perf_counter() - start) / len(raws)
        app.engine.dispose()
        return elapsed


def main() -> None:
    raws = replies()
    one = statistics.median(per_message(False, raws) for _ in range(3))
    two = statistics.median(per_message(True, raws) for _ in range(3))
    print(f"one open campaign: {one * 1000:.0f} ms/message; two: {two * 1000:.0f} ms/message; ratio {two / one:.2f}")  # noqa: T201


if __name__ == "__main__":
    main()
