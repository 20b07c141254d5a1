"""The board shows the scans waiting for the OCR queue ("đang chờ đọc bản quét"), not as failed."""

from __future__ import annotations

import datetime as dt


def test_the_board_lists_scans_waiting_for_their_ocr(client_for, web_app) -> None:
    from flows.intake.scanq import enqueue
    from parsers.vocab import ItemStatus
    from storage.blobs import record_blob
    from storage.models import InboundFile

    data = b"%PDF-1.4 a scan stand-in"
    with web_app.session() as session:
        sha = record_blob(web_app.blobs, data, session=session)
        row = InboundFile(campaign_id="de-an-996", path="sotp/ban quet.pdf", sha256=sha, size=len(data),
                          mtime=dt.datetime(2025, 8, 1, 2, 0, tzinfo=dt.UTC), status=ItemStatus.OCR_QUEUED)
        session.add(row)
        session.flush()
        enqueue("de-an-996", [{"filename": "ban quet.pdf", "sha256": sha, "pages": 7}], inbound_file_id=row.id, session=session)
    page = client_for("canbo").get("/").text
    assert "1 đang chờ đọc bản quét" in page
    assert "tệp sotp/ban quet.pdf — ban quet.pdf (7 trang)" in page
