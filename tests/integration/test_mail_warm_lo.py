"""The mail intake's warm LibreOffice (parsers/lo_server.py) starts only for a batch that has a
file needing it; and parse children forked while the raw writer thread stores the next chunk
come back whole — against a real Dovecot, LibreOffice and unoserver, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests" / "fixtures" / "mail"
VN = dt.timezone(dt.timedelta(hours=7))
BASE = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
# Word, PDF, zip (of .docx) and text-only mails: nothing LibreOffice converts.
NAMES = ["01_report_rfc2231", "05_nil_body_cp1258", "06_nil_docx", "07_ack_html_only", "03_word_plus_pdf", "15_zip_report", "08_auto_reply"]


def doc_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Sở Tư pháp <stp@quangngai.gov.vn>"
    msg["To"] = "baocao@example.gov.vn"
    msg["Subject"] = "Báo cáo Đề án 996 (bản .doc)"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@quangngai.gov.vn>"
    msg.set_content("Kính gửi, đơn vị gửi báo cáo kèm theo.")
    data = (ROOT / "tests" / "fixtures" / "formats" / "bao-cao.doc").read_bytes()
    msg.add_attachment(data, maintype="application", subtype="msword", filename="Bao cao 996.doc")
    return msg.as_bytes()


@pytest.fixture
def lo_starts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the run armed a lazy warm LibreOffice, and started one, in this process."""
    from parsers import lo_server
    from parsers.legacy import find_soffice

    if not find_soffice() or lo_server.unoserver_available():
        pytest.fail("LibreOffice and unoserver are needed (apt-get install -y python3-uno; uv sync)")
    counts = {"lazy": 0, "start": 0}
    real_init, real_start = lo_server.WarmLibreOffice.__init__, lo_server.WarmLibreOffice.start

    def init(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        counts["lazy"] += bool(kw.get("lazy"))
        real_init(self, *args, **kw)

    def start(self):  # noqa: ANN001, ANN202
        counts["start"] += 1
        real_start(self)

    monkeypatch.setattr(lo_server.WarmLibreOffice, "__init__", init)
    monkeypatch.setattr(lo_server.WarmLibreOffice, "start", start)
    return counts


def _ingest(app, dovecot, raws: list[bytes], pool_min: int = 4) -> dict:
    from flows.intake.mail import ingest_mail

    folder = f"W{uuid.uuid4().hex[:10]}"
    for i, raw in enumerate(raws):
        dovecot.append(raw, folder=folder, date=BASE + dt.timedelta(hours=i))
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.imap.fetch_chunk = 3  # several chunks: the writer thread runs while children fork
    app.settings.parse_pool_min = pool_min  # 4: a batch (the pool, a lazy warm LibreOffice)
    report = ingest_mail(app, receipts=False).to_json()
    assert report["counts"]["failed"] == 0, report["items"]
    return report


def _documents(app) -> list[tuple[str, str | None, str | None]]:
    from storage.models import Document

    with app.session() as s:
        return sorted((d.filename, d.format, d.error_code) for d in s.scalars(select(Document)))


def test_a_batch_without_legacy_files_starts_no_libreoffice(app, dovecot, lo_starts):
    from parsers import lo_server

    raws = [(MAIL / f"{n}.eml").read_bytes() for n in NAMES] * 2
    report = _ingest(app, dovecot, raws)
    assert len(report["items"]) == len(raws)
    assert lo_starts == {"lazy": 1, "start": 0}  # a batch (armed), but nothing to convert
    assert lo_server.current() is None
    docs = _documents(app)
    assert {fmt for _, fmt, _ in docs} == {"docx", "pdf", "zip"}, docs
    # the fixture's PDF draws nothing on its page: a scan without readable text, not a crash
    assert sorted(err or "" for _, _, err in docs if err) == ["scanned_pdf"], docs


def test_a_batch_with_one_doc_starts_one_libreoffice(app, dovecot, lo_starts):
    from parsers import lo_server

    raws = [(MAIL / f"{n}.eml").read_bytes() for n in NAMES]
    raws.insert(2, doc_mail())
    _ingest(app, dovecot, raws)
    assert lo_starts == {"lazy": 1, "start": 1}
    assert lo_server.current() is None  # stopped with the run
    docs = [d for d in _documents(app) if d[0].endswith(".doc")]
    assert docs == [("Bao cao 996.doc", "doc", None)]


def test_parse_children_forked_while_the_raw_writer_runs(app, dovecot, monkeypatch: pytest.MonkeyPatch):
    """Every budget child is forked while the writer thread is inside `write_many` for the next
    chunk (held there until the child has been forked); each comes back with its result."""
    from flows.intake import budget
    from storage.blobs import BlobStore

    writing = threading.Event()
    forked = threading.Event()
    real_write_many, real_fork = BlobStore.write_many, budget.os.fork
    overlaps: list[bool] = []
    calls: list[int] = []

    def slow_write_many(self, datas):  # noqa: ANN001, ANN202
        datas = list(datas)
        calls.append(len(datas))
        writing.set()
        if len(calls) > 1:  # the first chunk is stored before anything is parsed
            forked.wait(5)  # let a fork happen while this thread is inside write_many
            forked.clear()
        try:
            return real_write_many(self, datas)
        finally:
            writing.clear()

    def fork():  # noqa: ANN202
        overlaps.append(writing.is_set())
        pid = real_fork()
        if pid:
            forked.set()
        return pid

    monkeypatch.setattr(BlobStore, "write_many", slow_write_many)
    monkeypatch.setattr(budget.os, "fork", fork)
    raws = [(MAIL / f"{n}.eml").read_bytes() for n in NAMES] * 2
    report = _ingest(app, dovecot, raws, pool_min=10_000)  # no pool: the children fork from this process
    assert len(report["items"]) == len(raws) and len(calls) >= 4
    assert any(overlaps), overlaps  # the test did fork during the writer's work
    docs = _documents(app)
    assert len(docs) == 5 and all(err != "time_budget" for _, _, err in docs), docs
    assert sum(err is None for _, _, err in docs) == 4, docs  # the fixture PDF fails as on main
