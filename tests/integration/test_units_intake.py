"""Units from the files to the totals (independent review, S7): the "Đơn vị tính" column of a
Word or Excel report is stored with each figure; the consolidated total converts a known
scale of one unit and keeps another kind of unit out with an open problem and a note; the
figures of two copies of one report that differ, and an explicit none in an appendix, survive
intake (S5, S8). SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import ROWS, SECTIONS  # noqa: E402

COUNTS = {"2": ("3", "2"), "3": ("2", "2"), "4": ("25", "31"), "5": ("300", "342"), "6": ("250", "278"), "7": ("20", "21")}


def _report(agency_upper: str, number: str, row1: tuple[str, str], unit: str | None, *, row2: tuple[str, str] | None = None) -> bytes:
    """A report with letterhead, sections and the table; `unit` adds a "Đơn vị tính" column
    (row 1 in `unit`, the others counted), None leaves it out."""
    from docx import Document

    doc = Document()
    for line in ("UBND TỈNH QUẢNG NGÃI", agency_upper, f"Số: {number}", "Quảng Ngãi, ngày 10 tháng 8 năm 2025"):
        doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Sơ kết tình hình thực hiện Đề án 996 giai đoạn 2018 - 2025")
    for label, heading, sid in SECTIONS:
        doc.add_paragraph(f"{label}. {heading}" if len(label) > 1 or label.isdigit() else f"{label}) {heading}").runs[0].bold = True
        if sid:
            doc.add_paragraph(f"Nội dung mục {sid} của {agency_upper.title()}: đã triển khai đầy đủ.")
    doc.add_paragraph("Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025").runs[0].bold = True
    head = ["TT", "Nội dung", *(["Đơn vị tính"] if unit is not None else []), "Kế hoạch đến năm 2025",
            "Kết quả đến năm 2025", "Tỷ lệ (%)"]
    grid = doc.add_table(rows=1, cols=len(head))
    for cell, text in zip(grid.rows[0].cells, head, strict=True):
        cell.text = text
    for rid, label in ROWS:
        plan, result = row1 if rid == "1" else (row2 or COUNTS[rid]) if rid == "2" else COUNTS[rid]
        units = [unit if rid == "1" else "người"] if unit is not None else []
        for cell, text in zip(grid.add_row().cells, [rid, label, *units, plan, result, ""], strict=True):
            cell.text = text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _sheet(row1_unit: str, *, part_of: str = "") -> bytes:
    """An Excel table with "Đơn vị tính" merged over a two-row header (the soct layout)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["SỞ CÔNG THƯƠNG TỈNH QUẢNG NGÃI"])
    ws.append(["BIỂU TỔNG HỢP SỐ LIỆU ĐỊNH LƯỢNG KẾT QUẢ LUỸ KẾ ĐẠT ĐƯỢC TỪ NĂM 2018 - 2025"])
    ws.append([f"(Kèm theo Báo cáo số {part_of} của Sở Công Thương)" if part_of else None])
    ws.append(["TT", "Nội dung", "Đơn vị tính", "Giai đoạn 2018 - 2025", None, None, "Ghi chú"])
    ws.append([None, None, None, "Kế hoạch", "Thực hiện", "Tỷ lệ (%)", None])
    for col in "ABCG":
        ws.merge_cells(f"{col}4:{col}5")
    ws.merge_cells("D4:F4")
    for rid, label in ROWS:
        plan, result = ("1.500", "1.350,5") if rid == "1" else ("Không", "Không") if rid == "2" else COUNTS[rid]
        ws.append([rid, label, row1_unit if rid == "1" else "người", plan, result, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()



def _drop(root: Path, agency: str, name: str, data: bytes) -> None:
    (root / agency).mkdir(exist_ok=True)
    path = root / agency / name
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))


def test_units_are_stored_and_reconciled_in_the_totals(drop_app):
    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from flows.report import build_report
    from storage.models import IndicatorValue, RecipientRow, Submission

    root = drop_app.settings.drop.dir
    _drop(root, "soct", "Bieu so lieu 996.xlsx", _sheet("triệu đồng"))
    _drop(root, "sotp", "BC 996.docx", _report("SỞ TƯ PHÁP", "12/BC-STP", ("5.000", "4.250,5"), "Tr.đồng"))
    _drop(root, "soxd", "BC 996.docx", _report("SỞ XÂY DỰNG", "30/BC-SXD", ("2", "1,5"), "tỷ đồng"))
    _drop(root, "soyt", "BC 996.docx", _report("SỞ Y TẾ", "8/BC-SYT", ("15", "15"), None))
    ingest_folder(drop_app)
    ingest_folder(drop_app)
    with drop_app.session() as s:
        stored = {
            code: values
            for code, values in s.execute(
                select(RecipientRow.code, IndicatorValue.values)
                .join(Submission, Submission.recipient_id == RecipientRow.id)
                .join(IndicatorValue, IndicatorValue.submission_id == Submission.id)
                .where(IndicatorValue.row_id == "1")
            )
        }
    assert {code: v["plan"].get("unit") for code, v in stored.items()} == {
        "soct": "triệu đồng", "sotp": "Tr.đồng", "soxd": "tỷ đồng", "soyt": None,
    }
    report = build_report(drop_app)
    one = report["totals"]["1"]
    # 1.500 + 5.000 + 2 tỷ (= 2.000 triệu) đồng; Sở Y tế's 15 (no unit) is not money.
    assert (one["plan"], one["result"], one["plan_n"]) == (8500, 7101, 3)
    assert one["unit"] == "triệu đồng" and "Sở Y tế" in one["basis"] and "Sở Xây dựng" in one["basis"]
    problems = {(p["code"], p["agency"]): p for p in report["problems"]}
    assert problems[("unit_mismatch", "Sở Y tế")]["open"] is True
    assert "2.000" in problems[("unit_converted", "Sở Xây dựng")]["message"]
    assert not any(p["code"] == "unit_mismatch" and p["agency"] != "Sở Y tế" for p in report["problems"])
    # Counted rows add up whatever the agency calls the unit.
    assert report["totals"]["4"]["plan"] == 100


def _mail(mail_app, dovecot, frm: str, subject: str, msgid: str, files: list[tuple[str, bytes]]) -> dict:
    import datetime as dt

    from flows.intake.mail import ingest_mail
    from tests.integration.test_trust import message

    when = dt.datetime(2025, 8, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    dovecot.append(message(frm, subject, msgid, "Kính gửi Sở KH&CN, xin gửi báo cáo (đính kèm).", files),
                   folder=mail_app.settings.imap.folder, date=when)
    (item,) = ingest_mail(mail_app).to_json()["items"]
    return item


def test_an_appendix_explicit_none_survives_the_join(mail_app, dovecot, smtp):
    """The appendix comes first and waits; the report (210/BC-SCT, no figures for row 2) comes
    next and the appendix joins it: row 2 «Không/Không» stays an answer, not a missing row (no
    needless "còn thiếu" reminder)."""
    from sqlalchemy import select

    from flows.app import status_report
    from storage.models import IndicatorValue, Submission

    first = _mail(mail_app, dovecot, "soct@quangngai.example", "Phụ lục số liệu Đề án 996", "<sct-pl@qn.example>",
                  [("Bieu so lieu 996.xlsx", _sheet("triệu đồng", part_of="210/BC-SCT ngày 10/8/2025"))])
    assert first["status"] == "review", first
    second = _mail(mail_app, dovecot, "soct@quangngai.example", "Báo cáo sơ kết Đề án 996", "<sct-bc@qn.example>",
                   [("BC 210.docx", _report("SỞ CÔNG THƯƠNG", "210/BC-SCT", ("", ""), None, row2=("", "")))])
    assert second["status"] == "processed", second
    soct = {r["id"]: r for r in status_report(mail_app)["recipients"]}["soct"]
    assert soct["state"] == "submitted"
    with mail_app.session() as s:
        sub = s.scalars(select(Submission).where(Submission.superseded_by_id.is_(None), Submission.kind == "report")).one()
        assert "2" not in (sub.missing_rows or [])
        row2 = s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub.id, IndicatorValue.row_id == "2")).one()
        assert row2.explicit_none is True
        one = s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub.id, IndicatorValue.row_id == "1")).one()
        assert one.plan == 1500 and one.values["plan"]["unit"] == "triệu đồng"


def test_two_copies_of_one_report_with_different_figures_open_a_review_item(mail_app, dovecot, smtp):
    """Two files of one message, the same report number 47/BC-HLHPN, row 4's result 31 in one
    and 35 in the other: a figures_differ review item names both files and values."""
    from docx import Document
    from sqlalchemy import select

    from storage.models import ReviewItem

    word = _report("HỘI LIÊN HIỆP PHỤ NỮ TỈNH", "47/BC-HLHPN", ("", ""), None)
    d = Document(io.BytesIO(word))
    next(r for r in d.tables[0].rows if r.cells[0].text == "4").cells[3].text = "35"
    copy = io.BytesIO()
    d.save(copy)
    item = _mail(mail_app, dovecot, "hlhpn@quangngai.example", "Báo cáo Đề án 996", "<hlhpn-1@qn.example>",
                 [("BC996_word.docx", word), ("BC996_ban_chinh.docx", copy.getvalue())])
    assert item["status"] == "processed", item
    with mail_app.session() as s:
        items = [i for i in s.scalars(select(ReviewItem)) if "khác nhau" in (i.reason or "")]
    assert len(items) == 1 and items[0].kind == "problem" and items[0].status == "open"
    reason = items[0].reason
    assert "BC996_word.docx" in reason and "BC996_ban_chinh.docx" in reason and "dòng 4 kết quả 31 / 35" in reason


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


def test_a_dropped_zip_joins_its_files_as_a_mail_does(drop_app):
    """A zip in the agency's subfolder holding the report (no figures) and its appendix (the
    table, row 2 «Không»): one submission with the appendix's figures and explicit none; a zip
    holding two copies of one report with different figures opens a figures_differ item."""
    from docx import Document
    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from storage.models import IndicatorValue, RecipientRow, ReviewItem, Submission

    root = drop_app.settings.drop.dir
    report = _report("SỞ CÔNG THƯƠNG", "210/BC-SCT", ("", ""), None, row2=("", ""))
    _drop(root, "soct", "BC 210 kem phu luc.zip",
          _zip([("BC 210.docx", report), ("Phu luc.xlsx", _sheet("triệu đồng", part_of="210/BC-SCT ngày 10/8/2025"))]))
    word = _report("HỘI LIÊN HIỆP PHỤ NỮ TỈNH", "47/BC-HLHPN", ("", ""), None)
    d = Document(io.BytesIO(word))
    next(r for r in d.tables[0].rows if r.cells[0].text == "7").cells[3].text = "25"
    copy = io.BytesIO()
    d.save(copy)
    _drop(root, "hlhpn", "BC 996.zip", _zip([("BC996_word.docx", word), ("BC996_ban_chinh.docx", copy.getvalue())]))
    ingest_folder(drop_app)
    ingest_folder(drop_app)
    with drop_app.session() as s:
        soct = s.scalars(select(Submission).join(RecipientRow, RecipientRow.id == Submission.recipient_id)
                         .where(RecipientRow.code == "soct")).one()
        rows = {v.row_id: v for v in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == soct.id))}
        assert rows["1"].plan == 1500 and rows["2"].explicit_none and not soct.missing_rows
        items = [i for i in s.scalars(select(ReviewItem)) if "khác nhau" in (i.reason or "")]
    assert len(items) == 1 and "dòng 7 kết quả 21 / 25" in items[0].reason
