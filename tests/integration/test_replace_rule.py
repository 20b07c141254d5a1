"""What may replace an agency's current report, and what is a report of this request at all
(independent review, second round): a later report on other business, a figures-only
correction, a report answering another request, "Báo cáo này thay thế …" in the body, a
report written in the mail itself. Built from our own generated messages and files; each case
reworded from what the reviewer sent."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from sqlalchemy import select

from tests.integration.test_trust import message

VN = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2025, 8, 6, 9, 0, tzinfo=VN)
ROW_FIGURES = {"1": (3, 3), "2": (1, 1), "3": (2, 1), "4": (8, 8), "5": (25, 31), "6": (1100, 1240), "7": (30, 45)}


def _spec():
    from config.campaign import load_campaign
    from flows.app import outline_spec
    from tests.conftest import CONFIG_DIR

    return outline_spec(load_campaign(CONFIG_DIR / "campaigns" / "de-an-996.yaml"))


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _letterhead(doc, agency: str, number: str | None, day: int) -> None:
    doc.add_paragraph("UBND TỈNH QUẢNG NGÃI")
    doc.add_paragraph(agency)
    if number:
        doc.add_paragraph(f"Số: {number}")
    doc.add_paragraph(f"Quảng Ngãi, ngày {day} tháng 8 năm 2025")


def _table(doc, rows: dict[str, tuple[int, int]], title: str = "Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025") -> None:
    spec = _spec()
    doc.add_paragraph(title).runs[0].bold = True
    grid = doc.add_table(rows=1, cols=5)
    head = ["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"]
    for cell, text in zip(grid.rows[0].cells, head, strict=True):
        cell.text = text
    for row in spec.rows:
        if row.id not in rows:
            continue
        plan, result = rows[row.id]
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = row.id, row.label
        cells[2].text, cells[3].text = f"{plan:,}".replace(",", "."), f"{result:,}".replace(",", ".")
        cells[4].text = f"{result / plan * 100:.1f}".replace(".", ",") if plan else "0"


def full_report(agency: str, number: str, *, day: int = 6, after: tuple[str, ...] = (), rows=ROW_FIGURES, who: str = "Sở") -> bytes:
    """A complete Đề án 996 report: every section of the outline answered, then the table;
    `after`: paragraphs written after the last section (before the table)."""
    from docx import Document

    spec = _spec()
    doc = Document()
    _letterhead(doc, agency, number, day)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    groups = {g.id: g.heading for g in spec.groups}
    shown: set[str] = set()
    for section in spec.sections:
        parent, letter = section.id.rsplit(".", 1)
        for gid in (parent.split(".")[0], parent):
            if gid not in shown and gid in groups:
                shown.add(gid)
                doc.add_paragraph(f"{gid}. {groups[gid]}").runs[0].bold = True
        label = "đ" if letter == "dd" else letter
        doc.add_paragraph(f"{label}) {section.heading}: {who} đã triển khai nội dung {section.id}, ban hành văn bản hướng dẫn.")
    for line in after:
        doc.add_paragraph(line)
    _table(doc, rows)
    doc.add_paragraph("Nơi nhận: Sở KH&CN; Lưu: VT.")
    return _save(doc)


def other_business_report(agency: str, number: str) -> bytes:
    """The same agency's yearly report on its own measurement work: two paragraphs that share
    the outline's words and a small table with two of its rows — no word of Đề án 996."""
    from docx import Document

    doc = Document()
    _letterhead(doc, agency, number, 25)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Kết quả kiểm định, hiệu chuẩn phương tiện đo phục vụ công tác chuyên môn năm 2025")
    doc.add_paragraph("Tăng cường công tác kiểm tra, đánh giá, rà soát: đã kiểm tra 5 kho về phương tiện đo.")
    doc.add_paragraph("Về bồi dưỡng, nâng cao chuyên môn nghiệp vụ về đo lường cho các cán bộ: cử 2 cán bộ dự tập huấn.")
    _table(doc, {"4": (2, 2), "6": (250, 240)}, title="Số liệu năm 2025")
    return _save(doc)


def figures_only(agency: str, number: str | None, rows: dict[str, tuple[int, int]]) -> bytes:
    """The quantitative table alone ("PHỤ LỤC … (điều chỉnh)"), under the letterhead."""
    from docx import Document

    doc = Document()
    _letterhead(doc, agency, number, 14)
    doc.add_paragraph("PHỤ LỤC").runs[0].bold = True
    _table(doc, rows, title="Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025 (số liệu điều chỉnh)")
    return _save(doc)


def inspection_report(agency: str, number: str) -> bytes:
    """A report answering another letter of the Sở (inspections), one paragraph and a table."""
    from docx import Document

    doc = Document()
    _letterhead(doc, agency, number, 7)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Kết quả thanh tra, kiểm tra về tiêu chuẩn, đo lường, chất lượng 6 tháng đầu năm 2025")
    doc.add_paragraph(
        "Thực hiện Công văn số 1102/SKHCN-TĐC ngày 20/6/2025 của Sở Khoa học và Công nghệ về việc báo cáo"
        " công tác thanh tra, kiểm tra 6 tháng đầu năm 2025, đơn vị báo cáo như sau:"
    )
    doc.add_paragraph("Tăng cường công tác kiểm tra, đánh giá, rà soát: đã kiểm tra 9 cơ sở kinh doanh xăng dầu về đo lường.")
    _table(doc, {"6": (100, 80)}, title="Kết quả kiểm tra")
    return _save(doc)


def _ingest(mail_app, dovecot, raw: bytes, when: dt.datetime) -> dict:
    from flows.intake.mail import ingest_mail

    dovecot.append(raw, folder=mail_app.settings.imap.folder, date=when)
    (item,) = ingest_mail(mail_app).to_json()["items"]
    return item


def _subs(app, code: str) -> list:
    from storage.models import RecipientRow, Submission

    with app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == code)).one()
        subs = list(s.scalars(select(Submission).where(Submission.recipient_id == rid).order_by(Submission.id)))
        s.expunge_all()
        return subs


def _values(app, sub_id: int) -> tuple[dict[str, tuple], set[str]]:
    """(row → (plan, result)) and the sections with text, of one submission."""
    from storage.models import IndicatorValue, SectionAnswer

    with app.session() as s:
        rows = {v.row_id: (v.plan, v.result) for v in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub_id))}
        sections = {a.section_id for a in s.scalars(select(SectionAnswer).where(SectionAnswer.submission_id == sub_id)) if not a.empty and a.part == "section"}
    return rows, sections


def _reviews(app) -> list:
    from storage.models import ReviewItem

    with app.session() as s:
        items = list(s.scalars(select(ReviewItem).where(ReviewItem.kind != "problem").order_by(ReviewItem.id)))
        s.expunge_all()
        return items


def _state(app, code: str) -> dict:
    from flows.app import status_report

    return {r["id"]: r for r in status_report(app)["recipients"]}[code]


def _mail(code: str, subject: str, body: str, files: list[tuple[str, bytes]], n: int) -> bytes:
    return message(f"{code}@quangngai.example", subject, f"<{code}-{n}@quangngai.example>", body, files)


# --- S2: a later report on other business ----------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Báo cáo kết quả kiểm định phương tiện đo năm 2025", "Bộ CHQS tỉnh gửi Sở KH&CN báo cáo để phối hợp."),
        ("Gửi báo cáo công tác đo lường năm 2025", "Đơn vị gửi Quý Sở báo cáo năm để biết."),
    ],
)
def test_an_unrelated_later_report_never_replaces_the_complete_one(mail_app, dovecot, subject, body):
    first = _ingest(mail_app, dovecot, _mail("bchqs", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "77/BC-BCH"))], 1), T0)
    assert first["status"] == "processed", first
    (sub,) = _subs(mail_app, "bchqs")
    assert sub.coverage == 1.0 and sub.status == "valid"
    later = _ingest(mail_app, dovecot, _mail("bchqs", subject, body, [("BC nam.docx", other_business_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "1250/BC-BCH"))], 2), T0 + dt.timedelta(days=19))
    assert later["status"] == "review", later
    (kept,) = _subs(mail_app, "bchqs")  # nothing recorded: the report stays the one that counts
    assert kept.id == sub.id and kept.status == "valid"
    rows, sections = _values(mail_app, kept.id)
    assert rows["6"] == (1100, 1240) and rows["4"] == (8, 8) and len(sections) == 17
    (item,) = _reviews(mail_app)
    assert item.kind == "replace" and item.status == "open"
    assert "không nhắc tới chương trình" in item.reason


def test_a_far_thinner_report_naming_the_programme_waits_for_a_person(mail_app, dovecot):
    """A second "Đề án 996" document covering a third of what the current report covers and
    not saying it replaces it: a doubt, not a new version."""
    from docx import Document

    _ingest(mail_app, dovecot, _mail("bchqs", "Báo cáo Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "77/BC-BCH"))], 1), T0)
    doc = Document()
    _letterhead(doc, "BỘ CHỈ HUY QUÂN SỰ TỈNH", "80/BC-BCH", 20)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Bổ sung thông tin Đề án 996")
    spec = _spec()
    for section in spec.sections[:4]:
        doc.add_paragraph(f"{section.id} {section.heading}: đã thực hiện.")
    _table(doc, {"1": (3, 3), "2": (1, 1)})
    later = _ingest(mail_app, dovecot, _mail("bchqs", "Bổ sung Đề án 996", "Gửi bổ sung.", [("BS.docx", _save(doc))], 2), T0 + dt.timedelta(days=14))
    assert later["status"] == "review", later
    (item,) = _reviews(mail_app)
    assert item.kind == "replace" and "thấp hơn nhiều so với báo cáo hiện có (100%)" in item.reason
    assert [s.status for s in _subs(mail_app, "bchqs")] == ["valid"]


def test_a_new_full_version_still_replaces(mail_app, dovecot):
    """The control: a second complete report replaces the first (no review)."""
    _ingest(mail_app, dovecot, _mail("bchqs", "Báo cáo Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "77/BC-BCH"))], 1), T0)
    rows = {**ROW_FIGURES, "6": (1100, 1300)}
    later = _ingest(mail_app, dovecot, _mail("bchqs", "Báo cáo Đề án 996 (bản sửa)", "Gửi bản sửa.", [("BC996 v2.docx", full_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "79/BC-BCH", rows=rows))], 2), T0 + dt.timedelta(days=1))
    assert later["status"] == "processed", later
    old, new = _subs(mail_app, "bchqs")
    assert (old.status, old.superseded_by_id, new.status) == ("superseded", new.id, "valid")
    assert _values(mail_app, new.id)[0]["6"] == (1100, 1300) and _reviews(mail_app) == []


# --- S3: a figures-only correction -----------------------------------------------------------


@pytest.mark.parametrize("numbered", [True, False])
def test_a_figures_only_correction_keeps_the_sections(mail_app, dovecot, numbered):
    """A table carrying the report's own number (or a mail that names it) corrects its figures:
    a new version with every section of the report and the corrected row."""
    _ingest(mail_app, dovecot, _mail("soxd", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("SỞ XÂY DỰNG", "88/BC-SXD", day=13))], 1), T0)
    corrected = {**ROW_FIGURES, "6": (1100, 1420)}
    body = (
        "Sở Xây dựng điều chỉnh số liệu dòng 6 trong Báo cáo số 88/BC-SXD: kết quả là 1.420. Các nội dung khác giữ nguyên."
        if not numbered
        else "Gửi lại biểu số liệu đã điều chỉnh (dòng 6); phần thuyết minh không đổi."
    )
    later = _ingest(
        mail_app,
        dovecot,
        _mail("soxd", "V/v điều chỉnh số liệu báo cáo Đề án 996", body, [("dieu chinh.docx", figures_only("SỞ XÂY DỰNG", "88/BC-SXD" if numbered else None, corrected))], 2),
        T0 + dt.timedelta(days=2),
    )
    assert later["status"] == "processed", later
    old, new = _subs(mail_app, "soxd")
    assert (old.status, old.superseded_by_id, new.status) == ("superseded", new.id, "valid")
    rows, sections = _values(mail_app, new.id)
    assert rows["6"] == (1100, 1420) and rows["5"] == (25, 31)
    assert len(sections) == 17 and new.missing_sections == [] and new.coverage == 1.0
    assert new.doc_number == "88/BC-SXD" and len(new.parts) == 2
    assert _reviews(mail_app) == []
    state = _state(mail_app, "soxd")
    assert state["state"] == "submitted" and not state["incomplete"]


def test_a_table_alone_that_names_no_report_waits_and_loses_nothing(mail_app, dovecot):
    _ingest(mail_app, dovecot, _mail("soxd", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("SỞ XÂY DỰNG", "88/BC-SXD", day=13))], 1), T0)
    later = _ingest(
        mail_app,
        dovecot,
        _mail("soxd", "Biểu số liệu Đề án 996", "Gửi biểu số liệu.", [("bieu.docx", figures_only("SỞ XÂY DỰNG", "95/BC-SXD", {**ROW_FIGURES, "6": (1, 2)}))], 2),
        T0 + dt.timedelta(days=2),
    )
    assert later["status"] == "review", later
    (sub,) = _subs(mail_app, "soxd")
    assert sub.status == "valid" and _values(mail_app, sub.id)[0]["6"] == (1100, 1240)
    (item,) = _reviews(mail_app)
    assert item.kind == "replace" and "chỉ có bảng số liệu" in item.reason and "giữ nguyên" in item.reason
    assert _state(mail_app, "soxd")["state"] == "submitted"


# --- S4: a report answering another request --------------------------------------------------


def test_a_report_for_another_request_is_not_counted(mail_app, dovecot):
    from flows.outbound.reminders import remind

    item = _ingest(
        mail_app,
        dovecot,
        _mail("thanhtra", "Báo cáo thanh tra, kiểm tra TĐC 6 tháng (trả lời CV 1102/SKHCN-TĐC)", "Thanh tra tỉnh gửi báo cáo theo Công văn số 1102/SKHCN-TĐC.", [("BC thanh tra.docx", inspection_report("THANH TRA TỈNH", "56/BC-TTr"))], 1),
        T0,
    )
    assert item["status"] == "review", item
    assert _subs(mail_app, "thanhtra") == []  # not a submission of Đề án 996
    (review,) = _reviews(mail_app)
    assert review.kind == "doubtful_report" and "không nhắc tới chương trình" in review.reason
    state = _state(mail_app, "thanhtra")
    assert state["state"] == "not_responded" and state["to_check"] is True
    plan = remind(mail_app, dry_run=True, manual=True, only={"thanhtra"})
    assert not plan.get("would_send"), plan


@pytest.fixture
def numbered_app(settings_factory, db_url, tmp_path, dovecot, smtp):
    """The app with the request's number filled in (1200/SKHCN-TĐC)."""
    import shutil
    import uuid

    from flows.app import App, init
    from tests.conftest import CONFIG_DIR

    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    yaml = config / "campaigns" / "de-an-996.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace('number: "…/SKHCN-TĐC"', 'number: "1200/SKHCN-TĐC"', 1), encoding="utf-8")
    app = App(settings_factory(database_url=db_url, config_dir=config))
    init(app)
    assert app.campaign().request.number == "1200/SKHCN-TĐC"
    app.settings.imap = dovecot.settings(folder=f"T{uuid.uuid4().hex[:10]}")
    app.settings.smtp = smtp.settings()
    yield app
    app.engine.dispose()


def test_a_filled_request_number_that_differs_is_named_in_the_review(numbered_app, dovecot):
    mail_app = numbered_app
    item = _ingest(
        mail_app,
        dovecot,
        _mail("thanhtra", "Gửi báo cáo Đề án 996 6 tháng", "Gửi báo cáo theo Công văn số 1102/SKHCN-TĐC.", [("BC.docx", inspection_report("THANH TRA TỈNH", "56/BC-TTr"))], 1),
        T0,
    )
    assert item["status"] == "review", item
    (review,) = _reviews(mail_app)
    assert review.kind == "doubtful_report" and "1102/SKHCN-TDC" in review.reason


# --- S6: "thay thế" in the body; a replaced report dropped later -----------------------------


def test_replaces_in_the_body_and_an_older_copy_dropped_later(mail_app, dovecot, tmp_path):
    from flows.intake.folder import ingest_folder

    new = full_report("TRƯỜNG ĐẠI HỌC PHẠM VĂN ĐỒNG", "240/BC-ĐHPVĐ", day=14, who="Trường",
                      after=("Báo cáo này thay thế Báo cáo số 233/BC-ĐHPVĐ ngày 13/8/2025 của Trường.",))
    item = _ingest(mail_app, dovecot, _mail("dhpvd", "Gửi báo cáo Đề án 996", "Trường gửi báo cáo.", [("BC996 v2.docx", new)], 1), T0)
    assert item["status"] == "processed", item
    (sub,) = _subs(mail_app, "dhpvd")
    assert sub.says_replaces and sub.replaces_number == "233/BC-ĐHPVĐ"
    # The replaced one reaches the shared folder afterwards (copied from a colleague's disk).
    root = tmp_path / "chung"
    (root / "dhpvd").mkdir(parents=True)
    mail_app.settings.drop.dir = root
    old = root / "dhpvd" / "BC 996.docx"
    old.write_bytes(full_report("TRƯỜNG ĐẠI HỌC PHẠM VĂN ĐỒNG", "233/BC-ĐHPVĐ", day=13, who="Trường", rows={**ROW_FIGURES, "6": (1100, 900)}))
    st = old.stat()
    os.utime(old, (st.st_atime - 600, st.st_mtime - 600))
    ingest_folder(mail_app)
    ingest_folder(mail_app)
    newer, older = _subs(mail_app, "dhpvd")
    assert older.doc_number == "233/BC-ĐHPVĐ" and older.received_at > newer.received_at.replace(tzinfo=older.received_at.tzinfo)
    assert (newer.status, older.status, older.superseded_by_id) == ("valid", "superseded", newer.id)
    assert _values(mail_app, newer.id)[0]["6"] == (1100, 1240)


def test_the_mail_saying_it_replaces_lets_a_thinner_version_in(mail_app, dovecot):
    """"Gửi lại báo cáo thay thế báo cáo đã gửi" in the mail: the new document replaces the
    current one though it covers less."""
    _ingest(mail_app, dovecot, _mail("bchqs", "Báo cáo Đề án 996", "Gửi báo cáo.", [("BC996.docx", full_report("BỘ CHỈ HUY QUÂN SỰ TỈNH", "77/BC-BCH"))], 1), T0)
    rows = {k: v for k, v in ROW_FIGURES.items() if k in ("1", "2")}
    from docx import Document

    doc = Document()
    _letterhead(doc, "BỘ CHỈ HUY QUÂN SỰ TỈNH", "81/BC-BCH", 9)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    for section in _spec().sections[:3]:
        doc.add_paragraph(f"{section.id} {section.heading}: đã thực hiện.")
    _table(doc, rows)
    later = _ingest(mail_app, dovecot, _mail("bchqs", "Gửi lại báo cáo Đề án 996", "Đơn vị gửi lại báo cáo thay thế báo cáo đã gửi ngày 06/8 do sai số liệu.", [("BC996 thay the.docx", _save(doc))], 2), T0 + dt.timedelta(days=3))
    assert later["status"] == "processed", later
    old, new = _subs(mail_app, "bchqs")
    assert (old.status, new.status, new.says_replaces) == ("superseded", "valid", True)


# --- S9: the report written in the mail body -------------------------------------------------


BODY_REPORT = """Kính gửi: Sở Khoa học và Công nghệ
Liên minh HTX tỉnh báo cáo sơ kết Đề án 996 như sau:
1. Công tác lãnh đạo, chỉ đạo
a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996: Liên minh lồng ghép vào kế hoạch hỗ trợ HTX hằng năm.
2.5. Công tác truyền thông
b) Về đưa tin, viết bài tuyên truyền về Đề án 996 trên các phương tiện thông tin, truyền thông: đăng 05 tin trên trang của Liên minh.
Trân trọng./."""


def test_a_report_in_the_mail_body_waits_for_a_person(mail_app, dovecot, smtp):
    from flows.intake.review import assign_item
    from flows.outbound.reminders import remind

    item = _ingest(mail_app, dovecot, _mail("lmhtx", "Báo cáo Đề án 996 (nội dung trong thư)", BODY_REPORT, [], 1), T0)
    assert item["status"] == "review" and item["classification"] == "files_to_check", item
    (review,) = _reviews(mail_app)
    assert review.kind == "doubtful_report" and "nội dung thư" in review.reason
    state = _state(mail_app, "lmhtx")
    assert state["state"] == "not_responded" and state["to_check"] is True
    plan = remind(mail_app, dry_run=True, manual=True, only={"lmhtx"})
    assert not plan.get("would_send"), plan
    done = assign_item(mail_app, review.id, "lmhtx")
    (sub,) = _subs(mail_app, "lmhtx")
    assert done["submission_id"] == sub.id and sub.kind == "report"
    assert {"1.a", "2.5.b"} <= _values(mail_app, sub.id)[1]
    # Its receipts: first that the report in the mail waits for a person (no word of files),
    # then, once assigned, what was recorded.
    held, later = [m.message for m in smtp.messages if m.message["X-Baocao-Kind"] == "receipt"]
    text = held.get_content()
    assert "Nội dung báo cáo viết trong thư" in text and "Tệp đính kèm" not in text and "Tệp nhận được" not in text
    assert later["Subject"].startswith("Đã nhận báo cáo: ")


def test_a_plain_promise_is_still_an_acknowledgement(mail_app, dovecot):
    """The control: "we will send it next week" stays a promise, no review item."""
    item = _ingest(mail_app, dovecot, _mail("lmhtx", "Re: Báo cáo Đề án 996", "Liên minh đang tổng hợp, sẽ gửi báo cáo trong tuần sau.", [], 1), T0)
    assert item["classification"] == "acknowledgement" and item["status"] == "processed", item
    assert _reviews(mail_app) == []


def test_a_table_citing_a_longer_number_is_not_a_correction(mail_app, dovecot):
    """Report 8/BC-SXD, then a table whose mail cites "Báo cáo số 88/BC-SXD": not a correction of
    8 (independent review of 7 Dec: a substring test joined it)."""
    _ingest(mail_app, dovecot, _mail("soxd", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.",
                                     [("BC996.docx", full_report("SỞ XÂY DỰNG", "8/BC-SXD", day=13))], 1), T0)
    later = _ingest(
        mail_app, dovecot,
        _mail("soxd", "Biểu số liệu Đề án 996", "Gửi biểu số liệu kèm Báo cáo số 88/BC-SXD năm 2024.",
              [("bieu.docx", figures_only("SỞ XÂY DỰNG", "95/BC-SXD", {**ROW_FIGURES, "6": (1, 2)}))], 2),
        T0 + dt.timedelta(days=2),
    )
    assert later["status"] == "review", later
