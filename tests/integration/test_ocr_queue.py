"""The OCR queue (issue 13): a scan dropped in the shared folder does not use the poll's per-file
budget — it is stored, shown as "đang chờ đọc bản quét" (no failure, no receipt), then read by
its own run with a budget by page count (real Tesseract) and recorded as usual; a run that dies
after the OCR is taken again and records the file once (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import report_docx  # noqa: E402


class Crash(BaseException):
    """A process dying at the hook (not an error the queue could catch)."""


@pytest.fixture(scope="module")
def scan() -> bytes:
    """The first page of an agency's report, printed and scanned: an image-only PDF."""
    import pypdfium2 as pdfium

    from flows.dev.scan_fixtures import CONDITIONS, scan_pdf
    from parsers.legacy import LibreOfficeConverter, find_soffice

    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui")
    if not shutil.which("tesseract"):
        pytest.fail("Tesseract is missing: apt-get install -y tesseract-ocr tesseract-ocr-vie")
    printed = LibreOfficeConverter().convert(report_docx("SỞ TƯ PHÁP", "15/BC-STP"), "docx", "pdf")
    src, one = pdfium.PdfDocument(printed), pdfium.PdfDocument.new()
    one.import_pages(src, [0])
    buf = io.BytesIO()
    one.save(buf)
    return scan_pdf(buf.getvalue(), CONDITIONS[0])


@pytest.fixture
def drop_app(drop_app):
    drop_app.settings.file_budget_seconds = 8.0  # the auditor's setting: OCR of this page takes longer
    return drop_app


def _drop(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))


def _poll(app) -> dict:
    from flows.intake.folder import ingest_folder

    ingest_folder(app)  # first sight
    return ingest_folder(app).to_json()


def _sotp(app) -> dict:
    from flows.app import status_report

    return next(r for r in status_report(app)["recipients"] if r["id"] == "sotp")


def _counts(app) -> dict[str, int]:
    from storage.models import OcrJob, OutboundMail, Submission

    with app.session() as s:
        return {
            "submissions": s.scalar(select(func.count()).select_from(Submission)),
            "receipts": s.scalar(select(func.count()).select_from(OutboundMail).where(OutboundMail.kind == "receipt")),
            "jobs": s.scalar(select(func.count()).select_from(OcrJob)),
        }


def test_a_scan_is_queued_not_failed_then_read_and_recorded(drop_app, scan):
    from flows.app import status_report
    from flows.intake.ocr_run import run_queue
    from flows.intake.scanq import pending_jobs
    from storage.models import InboundFile, OcrJob

    root = drop_app.settings.drop.dir
    _drop(root, "sotp/ban quet.pdf", scan)
    _drop(root, "sotp/ghi chu.txt", b"")  # an empty file: skipped, the batch goes on
    report = _poll(drop_app)
    item = next(i for i in report["items"] if i["path"] == "sotp/ban quet.pdf")
    assert item["status"] == "ocr_queued" and item["pages"] == 1, item
    assert report["counts"]["failed"] == 0 and report["counts"]["queued"] == 1
    assert (root / "processed" / "sotp" / "ban quet.pdf").exists() and not (root / "failed").exists()
    status = status_report(drop_app)
    assert [q["files"] for q in status["ocr_queue"]] == [["ban quet.pdf"]]
    assert status["failed"] == [] and status["review"] == []
    assert _sotp(drop_app)["state"] == "not_responded" and not _sotp(drop_app).get("failed_file")
    assert _counts(drop_app) == {"submissions": 0, "receipts": 0, "jobs": 1}
    assert pending_jobs(drop_app) == 1
    assert _poll(drop_app)["counts"]["total"] == 0  # the next poll does not touch it again

    done = run_queue(drop_app).to_json()
    assert done["counts"] == {"done": 1, "failed": 0, "total": 1}, done
    assert _sotp(drop_app)["state"] == "submitted"
    assert _counts(drop_app) == {"submissions": 1, "receipts": 0, "jobs": 1}  # a dropped file has no sender to thank
    with drop_app.session() as s:
        row = s.scalars(select(InboundFile).where(InboundFile.path == "sotp/ban quet.pdf")).one()
        job = s.scalars(select(OcrJob)).one()
        assert row.status == "processed" and row.recipient_id is not None
        assert job.status == "done" and job.attempts == 1 and job.finished_at is not None
    assert status_report(drop_app)["ocr_queue"] == []
    assert run_queue(drop_app).to_json()["counts"]["total"] == 0  # nothing twice


def test_a_queue_run_that_dies_after_the_ocr_is_taken_again_once(drop_app, scan):
    from flows.faults import HOOKS
    from flows.intake.ocr_run import run_queue
    from flows.intake.scanq import claim_next
    from storage.models import InboundFile, OcrJob

    root = drop_app.settings.drop.dir
    _drop(root, "sotp/ban quet.pdf", scan)
    assert _poll(drop_app)["counts"]["queued"] == 1

    def die() -> None:
        raise Crash

    HOOKS["after_ocr"] = die
    try:
        with pytest.raises(Crash):
            run_queue(drop_app)
    finally:
        del HOOKS["after_ocr"]
    with drop_app.session() as s:
        job = s.scalars(select(OcrJob)).one()
        assert (job.status, job.attempts) == ("running", 1)
        assert s.scalars(select(InboundFile)).one().status == "ocr_queued"
    assert _counts(drop_app)["submissions"] == 0
    # Its lease has not passed: another run leaves it to the one that (may still) read it.
    assert claim_next(drop_app) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    done = run_queue(drop_app, now=later).to_json()
    assert done["counts"]["done"] == 1 and done["items"][0]["attempts"] == 2, done
    assert _counts(drop_app) == {"submissions": 1, "receipts": 0, "jobs": 1}  # a dropped file has no sender to thank
    assert run_queue(drop_app, now=later + dt.timedelta(hours=1)).to_json()["counts"]["total"] == 0
    assert _sotp(drop_app)["state"] == "submitted"


def test_a_scan_still_unreadable_after_its_budget_is_a_typed_problem_and_a_review_item(drop_app, scan):
    from flows.intake.ocr_run import run_queue
    from storage.models import OcrJob, ReviewItem

    drop_app.settings.ocr_budget_seconds = 0.5  # far too little for Tesseract
    drop_app.settings.ocr_page_seconds = 0.0
    _drop(drop_app.settings.drop.dir, "sotp/ban quet.pdf", scan)
    assert _poll(drop_app)["counts"]["queued"] == 1
    done = run_queue(drop_app).to_json()
    # stopped by the job's budget (or by Tesseract's own time limit, set just under it)
    assert done["counts"]["failed"] == 1 and done["items"][0]["error"].split(":")[0] in ("ocr_budget", "ocr_failed"), done
    with drop_app.session() as s:
        job = s.scalars(select(OcrJob)).one()
        items = s.scalars(select(ReviewItem).where(ReviewItem.status == "open")).all()
    assert job.status == "failed"
    assert len(items) == 1 and items[0].kind == "unreadable" and "bản quét" in items[0].reason + (items[0].plan.get("code") or "")
    assert _counts(drop_app)["submissions"] == 0


def _mail(sender: str, name: str, data: bytes, subtype: str) -> bytes:
    import uuid
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "baocao@example.gov.vn"
    msg["Subject"] = "Báo cáo Đề án 996"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@quangngai.example>"
    msg.set_content("Kính gửi, đơn vị gửi báo cáo kèm theo.")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return msg.as_bytes()


def test_a_mailed_scan_waits_while_the_rest_of_the_poll_is_recorded_then_gets_its_receipt(mail_app, dovecot, scan):
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.intake.ocr_run import run_queue
    from storage.models import InboundMail

    mail_app.settings.file_budget_seconds = 8.0
    folder = mail_app.settings.imap.folder
    when = dt.datetime(2025, 8, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    dovecot.append(_mail("Sở Tư pháp <sotp@quangngai.example>", "ban quet.pdf", scan, "pdf"), folder=folder, date=when)
    word = report_docx("SỞ Y TẾ", "20/BC-SYT")
    dovecot.append(_mail("Sở Y tế <soyt@quangngai.example>", "bao cao.docx", word,
                         "vnd.openxmlformats-officedocument.wordprocessingml.document"), folder=folder, date=when)
    report = ingest_mail(mail_app).to_json()
    by_from = {i["from"]: i for i in report["items"]}
    assert by_from["sotp@quangngai.example"]["status"] == "ocr_queued", report["items"]
    assert by_from["soyt@quangngai.example"]["status"] == "processed"  # the rest of the batch is not held up
    assert report["counts"]["failed"] == 0 and report["counts"]["queued"] == 1
    states = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert states["soyt"]["state"] == "submitted" and states["sotp"]["state"] == "not_responded"
    assert not states["sotp"].get("failed_file")
    assert _counts(mail_app)["receipts"] == 1  # Sở Y tế's only: no "tệp lỗi, gửi lại" for the scan
    assert ingest_mail(mail_app).to_json()["counts"]["total"] == 0  # the next poll does not take it again

    done = run_queue(mail_app).to_json()
    assert done["counts"]["done"] == 1, done
    assert _sotp(mail_app)["state"] == "submitted"
    assert _counts(mail_app) == {"submissions": 2, "receipts": 2, "jobs": 1}
    with mail_app.session() as s:
        assert {m.status for m in s.scalars(select(InboundMail))} == {"processed"}


def test_the_ingest_flow_hands_its_scans_to_the_ocr_queue_flow(prefect_harness, scan, tmp_path, monkeypatch):
    """Under Prefect: the folder flow records its batch, then the scans go to the `ocr-queue`
    flow: a run of its deployment started without waiting, or (no such deployment) a subflow
    after the batch."""
    import uuid

    from prefect import get_client

    from config.settings import Settings
    from flows.app import App, init
    from flows.runs import pipelines
    from flows.runs.pipelines import ingest_folder_flow, ocr_queue_flow

    monkeypatch.setattr(pipelines, "OCR_DEPLOYMENT", f"ocr-queue/none-{uuid.uuid4().hex[:8]}")

    data, drop = tmp_path / "data", tmp_path / "chung"
    drop.mkdir()
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(data))
    monkeypatch.setenv("BAOCAO_DATABASE_URL", f"sqlite:///{data / 'baocao.sqlite3'}")
    monkeypatch.setenv("BAOCAO_DROP__DIR", str(drop))
    monkeypatch.setenv("BAOCAO_FILE_BUDGET_SECONDS", "8")
    app = App(Settings(_env_file=None))
    init(app)
    try:
        _drop(drop, "sotp/ban quet.pdf", scan)
        _drop(drop, "soyt/bao cao.docx", report_docx("SỞ Y TẾ", "20/BC-SYT"))
        ingest_folder_flow()  # first sight
        result = ingest_folder_flow()
        assert result["ingest"]["counts"]["queued"] == 1 and result["ingest"]["counts"]["new"] == 1, result
        assert result["ocr"]["inline"]["ocr"]["counts"] == {"done": 1, "failed": 0, "total": 1}, result["ocr"]
        assert _sotp(app)["state"] == "submitted"
        assert ocr_queue_flow()["ocr"]["counts"]["total"] == 0  # nothing left, nothing twice
        # With the deployment (prefect deploy / baocao serve): a run of it, not waited for.
        name = f"ocr-{uuid.uuid4().hex[:8]}"
        deployment_id = ocr_queue_flow.to_deployment(name=name).apply()
        monkeypatch.setattr(pipelines, "OCR_DEPLOYMENT", f"ocr-queue/{name}")
        started = pipelines.start_ocr_queue(app)
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uuid.UUID(started["started"]))
        assert run.deployment_id == deployment_id and run.state.is_scheduled()
    finally:
        app.engine.dispose()
