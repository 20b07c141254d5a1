"""`build_report` on SQLite and PostgreSQL: rows in, Word and Excel out, read back and compared."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook
from sqlalchemy import select

from flows.app import App
from flows.report import LATEST, build_report
from storage.models import (
    Blob,
    Document,
    Event,
    InboundMail,
    IndicatorValue,
    RecipientRow,
    ReviewItem,
    SectionAnswer,
    Submission,
)
from storage.reporting import report_data

UTC = dt.UTC
NOW = dt.datetime(2025, 8, 18, 10, 0, 5, tzinfo=UTC)  # 17:00:05 in Quảng Ngãi
BEFORE = dt.datetime(2025, 8, 10, 2, 30, tzinfo=UTC)
AFTER = dt.datetime(2025, 8, 16, 1, 0, tzinfo=UTC)  # after the 15/8 deadline


def _mail(session, n: int, filenames: list[str]) -> tuple[InboundMail, list[Document]]:
    sha = f"{n:064x}"
    session.add(Blob(sha256=sha, size=1, path=f"x/{sha}"))
    mail = InboundMail(mailbox="INBOX", uidvalidity=1, uid=n, raw_sha256=sha, status="processed")
    session.add(mail)
    session.flush()
    docs = [
        Document(inbound_mail_id=mail.id, part_index=i, sha256=sha, filename=name)
        for i, name in enumerate(filenames)
    ]
    session.add_all(docs)
    session.flush()
    return mail, docs


def _submission(session, rid: int, key: str, *, kind="report", status="valid", at=BEFORE,
                mail=None, doc=None, sections=None, figures=None, **kw) -> Submission:
    sub = Submission(
        campaign_id="de-an-996", recipient_id=rid, received_at=at, channel="email", kind=kind,
        status=status, content_key=key, inbound_mail_id=mail.id if mail else None,
        document_id=doc.id if doc else None, **kw,
    )
    session.add(sub)
    session.flush()
    for sid, text in (sections or {}).items():
        session.add(SectionAnswer(submission_id=sub.id, section_id=sid, text=text, empty=not text.strip()))
    for row_id, (plan, result, rate) in (figures or {}).items():
        session.add(IndicatorValue(submission_id=sub.id, row_id=row_id, plan=plan, result=result, rate=rate))
    session.flush()
    return sub


@pytest.fixture
def seeded(app: App) -> App:
    """Six agencies in every situation the report must handle."""
    with app.session() as s:
        ids = {r.code: r.id for r in s.scalars(select(RecipientRow))}
        mail1, docs1 = _mail(s, 1, ["BC-996-SCT.docx", "phu-luc.xlsx"])
        old = _submission(s, ids["soct"], "old", at=BEFORE - dt.timedelta(days=2),
                          sections={"1.a": "Bản cũ, không được dùng."}, figures={"1": (9000, 9000, 100)})
        new = _submission(
            s, ids["soct"], "new", mail=mail1, doc=docs1[0],
            sections={"1.a": "Đã ban hành Kế hoạch số 12/KH-SCT & triển khai.\nĐoạn thứ hai.",
                      "1.b": "Không có.", "2.5.b": ""},
            figures={"1": (1000, 850, 85.0), "2": (0, 4, None), "5": (1200, 1250, 104.2)},
            extra_text="Kiến nghị: tăng kinh phí cho hoạt động đo lường.",
            doc_number="123/BC-SCT",
            problems=[{"code": "rate_mismatch", "message": "Tỷ lệ dòng 5 ghi 110%, tính lại 104,2%", "where": "bảng, dòng 5"}],
        )
        old.status, old.superseded_by_id = "superseded", new.id
        _submission(s, ids["soyt"], "yt", at=AFTER, sections={"1.a": "Sở Y tế phối hợp kiểm tra.",
                    "1.b": "không có", "2.2.dd": "Nghiên cứu 01 chất chuẩn."}, figures={"1": (250, 100, None), "5": (None, 50, None)})
        _submission(s, ids["sotp"], "tp", kind="nil_report", at=AFTER, figures={"1": (7777, 7777, 100)})
        _submission(s, ids["sonv"], "nv", kind="acknowledgement")
        stranger, _ = _mail(s, 99, [])
        stranger.from_addr, stranger.subject = "baocao.donvi@gmail.example", "Gửi báo cáo Đề án 996"
        stranger.date_header = dt.datetime(2025, 8, 12, 15, 10, tzinfo=dt.UTC)  # 22:10 in Quảng Ngãi
        s.add(ReviewItem(campaign_id="de-an-996", source_key=f"mail:{stranger.id}", inbound_mail_id=stranger.id,
                         reason="Không rõ đơn vị gửi thư"))
    return app


def test_report_data_uses_latest_valid_submission(seeded: App) -> None:
    with seeded.session() as s:
        data = report_data("de-an-996", session=s)
        by_code = {r.recipient.code: r for r in data.recipients}
        assert len(data.recipients) == 28
        sct = by_code["soct"]
        assert sct.latest is not None and sct.latest.content_key == "new"
        assert len(sct.responses) == 2
        assert {a.section_id for a in sct.sections} == {"1.a", "1.b", "2.5.b"}
        assert {v.row_id for v in sct.indicators} == {"1", "2", "5"}
        assert sct.files == ["BC-996-SCT.docx", "phu-luc.xlsx"]
        assert by_code["sonv"].latest is None  # an acknowledgement is not a submission
        assert by_code["sotp"].latest is not None and by_code["sotp"].latest.kind == "nil_report"
        assert [r.source_key for r in data.review] == [f"mail:{data.review[0].inbound_mail_id}"]


def test_build_report_json_contract_and_folders(seeded: App, tmp_path: Path) -> None:
    result = build_report(seeded, now=NOW)
    base = seeded.settings.reports_dir / "de-an-996"
    folder = base / "20250818-170005"
    assert result["dir"] == str(folder)
    assert [Path(p).name for p in result["files"]] == [
        "bao-cao-tong-hop-de-an-996.docx", "so-lieu-tong-hop-de-an-996.xlsx"]
    assert all(Path(p).parent == folder and Path(p).stat().st_size > 0 for p in result["files"])
    assert sorted(Path(p).name for p in result["latest"]) == sorted(Path(p).name for p in result["files"])
    assert all(Path(p).parent == base / LATEST for p in result["latest"])
    totals = {rid: {k: t[k] for k in ("plan", "result", "rate", "plan_n", "result_n", "rate_n")}
              for rid, t in result["totals"].items()}
    assert totals["1"] == {"plan": 1250, "result": 950, "rate": 76.0, "plan_n": 2, "result_n": 2, "rate_n": 2}
    assert totals["2"]["result"] == 4 and totals["2"]["rate"] is None
    # Row 5: Sở Y tế gave a result (50) without a plan: it counts in the result column, not in
    # the rate (1.250 / 1.200 of the one agency with both, never 1.300 / 1.200).
    assert totals["5"] == {"plan": 1200, "result": 1300, "rate": 104.2, "plan_n": 1, "result_n": 2, "rate_n": 1}
    assert result["totals"]["5"]["basis"] == "kế hoạch: 1/2 đơn vị ghi; kết quả: 2/2; tỷ lệ tính trên 1 đơn vị ghi cả hai"
    # Nobody filled row 7: no figure, not 0 / 0.
    assert totals["7"] == {"plan": None, "result": None, "rate": None, "plan_n": 0, "result_n": 0, "rate_n": 0}
    assert result["totals"]["7"]["basis"] == "chưa có số liệu"
    responded = {r["id"]: r for r in result["responded"]}
    assert set(responded) == {"soct", "soyt", "sotp"}
    assert responded["soyt"]["late"] is True and responded["soct"]["late"] is False
    assert responded["soct"]["received_at"] == "2025-08-10T09:30:00+07:00"
    not_responded = {r["id"]: r["state"] for r in result["not_responded"]}
    assert len(not_responded) == 25 and not_responded["sonv"] == "acknowledged"
    assert result["stats"]["late"] == 2
    assert [p["code"] for p in result["problems"]] == ["rate_mismatch", "review"]
    json.dumps(result)  # plain JSON
    with seeded.session() as s:
        events = list(s.scalars(select(Event).where(Event.kind == "report_built")))
        assert len(events) == 1 and events[0].data["dir"] == result["dir"]

    again = build_report(seeded, now=NOW)  # same second: a new folder, nothing overwritten
    assert again["dir"] == str(base / "20250818-170005-2")
    assert Path(result["files"][0]).exists()
    assert sorted(p.name for p in base.iterdir()) == ["20250818-170005", "20250818-170005-2", LATEST]
    assert "20250818-170005-2" in (base / LATEST / "NGUON.txt").read_text(encoding="utf-8")


def _docx_text(path: Path) -> tuple[list[str], list]:
    doc = WordDocument(str(path))
    return [p.text for p in doc.paragraphs], doc


def test_word_report_reads_back(seeded: App, tmp_path: Path) -> None:
    result = build_report(seeded, out_dir=tmp_path / "out", now=NOW)
    assert result["dir"] == str(tmp_path / "out" / "20250818-170005")
    paras, doc = _docx_text(Path(result["files"][0]))
    section = doc.sections[0]
    mm = [round(x.mm) for x in (section.page_width, section.page_height, section.top_margin,
                                 section.bottom_margin, section.left_margin, section.right_margin)]
    assert mm == [210, 297, 20, 20, 30, 15]  # A4; NĐ 30 margins
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 14
    header = doc.tables[0]
    left, right = (c.text for c in header.rows[0].cells)
    assert "UBND TỈNH QUẢNG NGÃI" in left and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in left
    assert "Số: …/BC-SKHCN" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "Quảng Ngãi, ngày 18 tháng 8 năm 2025" in right
    assert "BÁO CÁO" in paras
    subject = paras[paras.index("BÁO CÁO") + 1]  # the trích yếu does not say «Báo cáo» again
    assert subject.startswith("Sơ kết thực hiện Đề án 996") and "báo cáo" not in subject.lower()
    text = "\n".join(paras)
    # Each agency under its name; two paragraphs stay two paragraphs; & escaped correctly.
    assert "- Sở Công Thương: Đã ban hành Kế hoạch số 12/KH-SCT & triển khai." in paras
    assert "Đoạn thứ hai." in paras
    assert "- Sở Y tế: Sở Y tế phối hợp kiểm tra." in paras
    assert "- Sở Công Thương, Sở Y tế: Không có." in paras  # stock answers grouped
    assert "Bản cũ" not in text  # the superseded version is not used
    assert "đ) Về nghiên cứu phát triển, thương mại hóa chất chuẩn, chuẩn đo lường, phương tiện đo" in paras
    assert "Kiến nghị: tăng kinh phí cho hoạt động đo lường." in text
    assert "+ Sở Nội vụ (đã hẹn gửi);" in paras
    assert "- Các cơ quan, đơn vị báo cáo không phát sinh nội dung: Sở Tư pháp." in paras
    assert "- Các cơ quan, đơn vị báo cáo trễ hạn: Sở Tư pháp, Sở Y tế." in paras
    assert "{{" not in text and "{%" not in text
    totals = doc.tables[1]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in totals.rows}
    assert rows["1"][2:] == ["1.250", "950", "76,0%"]
    assert rows["5"][2:] == ["1.200", "1.300", "104,2%"]
    assert rows["7"][2:] == ["", "", ""]  # nobody filled it: blank, never 0
    note = next(p for p in paras if p.startswith("Tổng hợp từ số liệu của 2 cơ quan"))
    assert "ô trống không tính là 0" in note and "ghi cả kế hoạch và kết quả" in note
    assert "Dòng 5: kế hoạch: 1/2 đơn vị ghi; kết quả: 2/2; tỷ lệ tính trên 1 đơn vị ghi cả hai." in paras
    assert any(p.startswith("Chưa có số liệu: dòng ") and "7" in p for p in paras)
    assert rows["2"][2:] == ["0", "4", ""]
    assert rows["I"][1].startswith("Tăng cường phát triển hạ tầng đo lường")
    signature = doc.tables[2]
    sig_left, sig_right = (c.text for c in signature.rows[0].cells)
    assert "Nơi nhận:" in sig_left and "- Lưu: VT, TĐC." in sig_left
    assert "KT. GIÁM ĐỐC" in sig_right and "PHÓ GIÁM ĐỐC" in sig_right and "Mai Thoan" in sig_right
    # Annex: one table per agency with figures (the two reports, not the nil report).
    annex = doc.tables[3:]
    assert len(annex) == 2
    sct = {r.cells[0].text: [c.text for c in r.cells] for r in annex[0].rows}
    assert sct["1"][2:] == ["1.000", "850", "85,0%"]
    assert sct["3"][2:] == ["", "", ""]
    assert "1. Sở Công Thương (xem «Những điểm cần lưu ý»)" in paras and "2. Sở Y tế (trễ hạn)" in paras


def test_excel_report_reads_back(seeded: App, tmp_path: Path) -> None:
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    wb = load_workbook(result["files"][1])
    assert wb.sheetnames == ["Tổng hợp", "Chi tiết", "Tình hình nộp", "Nội dung", "Vấn đề"]
    for ws in wb.worksheets:
        assert len(ws.tables) == 1, ws.title
        assert ws.freeze_panes == "A5"
    ws = wb["Tổng hợp"]
    header = [c.value for c in ws[4]]
    assert header[:4] == ["TT", "Nhóm", "Nội dung", "Kế hoạch đến năm 2025"]
    row1 = [c.value for c in ws[5]]
    assert row1[0] == "1" and row1[3:11] == [1250, 950, 76, 2, 2, 2, 2, None]
    assert ws.cell(5, 4).number_format == "#,##0" and ws.cell(5, 6).number_format == "#,##0.0"
    assert ws.tables["TongHop"].ref == "A4:L11"  # last column: figures not checked yet
    by_id = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=5)}
    assert by_id["5"][3:11] == [1200, 1300, 104.2, 2, 1, 2, 1, "kế hoạch: 1/2 đơn vị ghi; kết quả: 2/2; tỷ lệ tính trên 1 đơn vị ghi cả hai"]
    assert by_id["7"][3:11] == [None, None, None, 0, 0, 0, 0, "chưa có số liệu"]
    assert "ô trống không tính là 0" in ws["A2"].value and "ô trống tính là 0" not in ws["A2"].value
    detail = wb["Chi tiết"]
    lines = [[c.value for c in r] for r in detail.iter_rows(min_row=5)]
    assert len(lines) == 14  # two reporting agencies × seven rows
    sct1 = next(x for x in lines if x[0] == "soct" and x[2] == "1")
    assert sct1[4:8] == [1000, 850, 85, None]  # nothing open: not marked
    status = {r[0].value: [c.value for c in r] for r in wb["Tình hình nộp"].iter_rows(min_row=5)}
    assert len(status) == 28
    assert status["soct"][3] == "Đã nộp báo cáo"
    assert status["soct"][2] == "Sở, ban, ngành"
    assert status["soct"][4] == dt.datetime(2025, 8, 10, 9, 30)  # local time
    assert status["soct"][7] == "BC-996-SCT.docx; phu-luc.xlsx"
    assert status["soyt"][6] == "Có"
    assert status["sotp"][3] == "Báo cáo không phát sinh"
    assert status["sonv"][3] == "Đã hẹn gửi"
    assert status["vpubnd"][3] == "Chưa trả lời" and status["vpubnd"][4] is None
    texts = [[c.value for c in r] for r in wb["Nội dung"].iter_rows(min_row=5)]
    assert texts[0][:3] == ["soct", "Sở Công Thương", "1.a"]
    assert texts[0][4] == "Đã ban hành Kế hoạch số 12/KH-SCT & triển khai.\nĐoạn thứ hai."
    assert not any(t[2] == "2.5.b" for t in texts)  # empty answers omitted
    assert ["soyt", "Sở Y tế", "2.2.đ"] in [t[:3] for t in texts]  # the id as the outline writes it
    assert not any(t[2] == "2.2.dd" for t in texts)
    assert any(t[2] == "khác" and "tăng kinh phí" in t[4] for t in texts)
    problems = [[c.value for c in r] for r in wb["Vấn đề"].iter_rows(min_row=5)]
    assert [p[0] for p in problems] == ["Báo cáo", "Chờ xem xét"]
    # A mail waiting for a person is named by its sender and subject, not "mail:19".
    review = problems[1]
    assert review[1] == "Chưa rõ đơn vị" and review[2] == "Chờ cán bộ xem xét"
    assert review[4] == "thư từ baocao.donvi@gmail.example «Gửi báo cáo Đề án 996», nhận 12/08/2025 22:10"
    wb.close()


def test_cli_report_json(seeded: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from flows.cli.main import cli

    settings = seeded.settings
    monkeypatch.setenv("BAOCAO_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(settings.config_dir))
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    res = runner.invoke(cli, ["report", "--json", "--out", str(tmp_path / "bc")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["totals"]["1"]["plan"] == 1250
    assert Path(data["files"][0]).parent.parent == tmp_path / "bc"
    human = runner.invoke(cli, ["report", "--out", str(tmp_path / "bc")])
    assert human.exit_code == 0, human.output
    assert "Đã tổng hợp báo cáo" in human.stdout and "Chưa báo cáo:" in human.stdout
    assert len([p for p in (tmp_path / "bc").iterdir() if p.name != LATEST]) == 2


def test_word_report_renders_to_pdf_with_libreoffice(seeded: App, tmp_path: Path) -> None:
    """LibreOffice headless (own profile) opens the .docx and lays it out; page 1 as PNG."""
    import pdfplumber

    from flows.dev.report_preview import ToolMissing, docx_to_pdf, pdf_page_png

    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    try:
        pdf = docx_to_pdf(Path(result["files"][0]), tmp_path)
        png = pdf_page_png(pdf, tmp_path / "page1.png")
    except ToolMissing as err:
        pytest.fail(str(err))
    with pdfplumber.open(pdf) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
        width, height = doc.pages[0].width, doc.pages[0].height
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0]
    assert "BÁO CÁO" in pages[0]
    whole = "\n".join(pages)
    assert "Mai Thoan" in whole and "PHỤ LỤC" in whole
    assert "{{" not in whole
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_with_no_answers_yet(app: App, tmp_path: Path) -> None:
    result = build_report(app, out_dir=tmp_path, now=NOW)
    assert result["responded"] == [] and len(result["not_responded"]) == 28
    assert {k: result["totals"]["1"][k] for k in ("plan", "result", "rate", "basis")} == {
        "plan": None, "result": None, "rate": None, "basis": "chưa có số liệu"}
    paras, doc = _docx_text(Path(result["files"][0]))
    assert "Chưa có cơ quan, đơn vị nào gửi số liệu." in paras
    assert "Chưa có cơ quan, đơn vị nào báo cáo nội dung này." in paras
    assert "Các cơ quan, đơn vị không có kiến nghị." in paras
    assert len(doc.tables) == 3  # header, totals, signature: no annex tables
    wb = load_workbook(result["files"][1])
    assert wb["Chi tiết"].tables["ChiTiet"].ref == "A4:I5"  # one blank row keeps the table valid
    wb.close()


def test_figures_with_open_problems_are_marked_in_word_and_excel(seeded: App, tmp_path: Path) -> None:
    """An open figure problem of Sở Công Thương's report: its figures still count, and every
    output says which totals include them until a person has checked."""
    from parsers.model import Problem
    from storage.submissions import open_problem_reviews

    with seeded.session() as s:
        sub = s.scalars(select(Submission).where(Submission.content_key == "new")).one()
        problem = Problem("rate_inconsistent", "Dòng 5: tỷ lệ báo cáo 110% không khớp (1.250 / 1.200 = 104,2%)", "bảng 1, dòng 7")
        sub.problems = [*sub.problems, problem.to_json()]  # as record_submission keeps it
        sub.confidence = 0.9
        open_problem_reviews(sub, sub.recipient_id, [problem], session=s)
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    assert result["doubtful"] == {"1": ["Sở Công Thương"], "2": ["Sở Công Thương"], "5": ["Sở Công Thương"]}
    responded = {r["id"]: r for r in result["responded"]}
    assert responded["soct"]["open_problems"] == 1 and responded["soyt"]["open_problems"] == 0
    wb = load_workbook(result["files"][1])
    totals = {r[0].value: [c.value for c in r] for r in wb["Tổng hợp"].iter_rows(min_row=5)}
    assert totals["1"][-1] == "Sở Công Thương" and not totals["3"][-1]
    detail = [[c.value for c in r] for r in wb["Chi tiết"].iter_rows(min_row=5)]
    assert {x[7] for x in detail if x[0] == "soct"} == {"Có vấn đề chưa xử lý"}
    assert {x[7] for x in detail if x[0] == "soyt"} == {None}
    status = {r[0].value: [c.value for c in r] for r in wb["Tình hình nộp"].iter_rows(min_row=5)}
    assert status["soct"][10] == 1 and status["soyt"][10] == 0 and status["vpubnd"][10] is None
    assert status["soct"][9] == 90 and status["soyt"][9] is None  # soyt: not read by the parser
    problems = [[c.value for c in r] for r in wb["Vấn đề"].iter_rows(min_row=5)]
    # The kind of problem in words, not the parser's code.
    assert problems[0][1:3] == ["Sở Công Thương", "Tỷ lệ không khớp kết quả / kế hoạch"] and problems[0][5] == "Chưa kiểm tra"
    assert [p[5] for p in problems if p[2] == "rate_mismatch"] == [None]  # a note, not blocking
    assert not any(p[5] == "Chưa kiểm tra" for p in problems if p[1] == "Sở Y tế")
    wb.close()
    paras = [p.text for p in WordDocument(result["files"][0]).paragraphs]
    note = next(p for p in paras if p.startswith("(*)"))
    assert "Sở Công Thương" in note and "Sở Y tế" not in note
    cells = [c.text for t in WordDocument(result["files"][0]).tables for row in t.rows for c in row.cells]
    assert sum(1 for c in cells if c.endswith("(*)")) == 3
    assert any("Sở Công Thương" in p and "vấn đề chưa kiểm tra" in p for p in paras)


def test_part_three_uses_the_typed_closing_parts_not_the_loose_text(seeded: App, tmp_path: Path) -> None:
    """The loose text around the sections (opening sentence, a sheet header) never reaches
    part III once the parser typed the closing parts."""
    with seeded.session() as s:
        sub = s.scalars(select(Submission).where(Submission.content_key == "new")).one()
        sub.extra_text = "Thực hiện Công văn của Sở KH&CN, Sở Công Thương báo cáo như sau: III. KHÓ KHĂN Mục Nội dung"
        s.add(SectionAnswer(submission_id=sub.id, section_id="kien_nghi", text="Đề nghị tăng kinh phí kiểm định.", empty=False, part="closing"))
        s.add(SectionAnswer(submission_id=sub.id, section_id="kho_khan", text="Thiếu chuẩn đo lường.", empty=False, part="closing"))
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    paras = [p.text for p in WordDocument(result["files"][0]).paragraphs]
    start = next(i for i, p in enumerate(paras) if p.startswith("III."))
    part3 = paras[start:]
    sct = [p for p in part3 if "Sở Công Thương" in p]
    assert sct and "Thiếu chuẩn đo lường." in sct[0]
    assert any("Đề nghị tăng kinh phí kiểm định." in p for p in part3)
    assert not any("Thực hiện Công văn" in p or "III. KHÓ KHĂN" in p for p in part3[1:])
    # Closing parts are not outline sections: the narrative of part I does not show them.
    assert not any("Thiếu chuẩn đo lường." in p for p in paras[:start])
    wb = load_workbook(result["files"][1])
    texts = [[c.value for c in r] for r in wb["Nội dung"].iter_rows(min_row=5)]
    other = [t[4] for t in texts if t[0] == "soct" and t[2] == "khác"]
    assert other == ["Thiếu chuẩn đo lường.\nĐề nghị tăng kinh phí kiểm định."]
    wb.close()


def test_a_parsed_submission_without_closing_parts_has_no_part_three_line(seeded: App, tmp_path: Path) -> None:
    """A spreadsheet report with no khó khăn / kiến nghị: its sheet header is not a proposal."""
    with seeded.session() as s:
        sub = s.scalars(select(Submission).where(Submission.content_key == "new")).one()
        sub.extra_text, sub.confidence = "Mục Nội dung đề cương Kết quả thực hiện", 1.0
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    paras = [p.text for p in WordDocument(result["files"][0]).paragraphs]
    part3 = paras[next(i for i, p in enumerate(paras) if p.startswith("III.")):]
    assert not any("Mục Nội dung" in p for p in part3)
    assert "Các cơ quan, đơn vị không có kiến nghị." in part3


def test_excel_detail_says_where_each_figure_was_read(seeded: App, tmp_path: Path) -> None:
    with seeded.session() as s:
        sub = s.scalars(select(Submission).where(Submission.content_key == "new")).one()
        rows = {v.row_id: v for v in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub.id))}
        rows["1"].where = "BC-996-SCT.docx › bảng 2, dòng 4"
        rows["1"].values = {"plan": {"source": "read", "raw": "1.000"}, "rate": {"source": "derived", "raw": ""}}
        rows["2"].where = "BC-996-SCT.docx › bảng 2, dòng 5"
        rows["2"].values = {"plan": {"source": "explicit_none", "raw": "-"}}
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    wb = load_workbook(result["files"][1])
    detail = {(r[0].value, r[2].value): [c.value for c in r] for r in wb["Chi tiết"].iter_rows(min_row=5)}
    assert detail[("soct", "1")][8] == "BC-996-SCT.docx › bảng 2, dòng 4; tỷ lệ tự tính"
    assert detail[("soct", "2")][8] == "BC-996-SCT.docx › bảng 2, dòng 5; kế hoạch: đơn vị ghi «-» (không có)"
    wb.close()


def test_part_three_of_a_parsed_report_has_each_closing_part(seeded: App, tmp_path: Path) -> None:
    """A Word report of the common layout ("II. ĐÁNH GIÁ CHUNG / 1. Kết quả đạt được: … /
    2. Tồn tại, hạn chế, khó khăn: … / III. ĐỀ XUẤT, KIẾN NGHỊ"), parsed and recorded: part III
    shows its assessment, difficulties and proposals; a group answered as a whole is stored
    as the group's (part "group"), not in part III."""
    from flows.app import outline_spec
    from parsers.api import parse_path
    from storage.submissions import record_submission

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "independent"
    with seeded.session() as s:
        ids = {r.code: r.id for r in s.scalars(select(RecipientRow))}
        spec = outline_spec(seeded.campaign("de-an-996"))
        for code, name in (("sotp", "v01_sotp_closing_run_in.docx"), ("soyt", "v02_soyt_group_answers.docx")):
            parsed = parse_path(fixtures / name, spec)
            record_submission(session=s, campaign_id="de-an-996", recipient_id=ids[code], kind="report",
                              received_at=AFTER + dt.timedelta(hours=1), channel="email", content_key=name,
                              parsed=parsed)
        groups = {(a.section_id, a.text) for a in s.scalars(select(SectionAnswer).where(SectionAnswer.part == "group"))}
    assert ("2.2", "các bệnh viện tuyến tỉnh đầu tư 15 thiết bị đo huyết áp chuẩn.") in groups
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    paras = [p.text for p in WordDocument(result["files"][0]).paragraphs]
    part3 = paras[next(i for i, p in enumerate(paras) if p.startswith("III.")):]
    for agency, own in (("Sở Tư pháp", "cán bộ của STP"), ("Sở Y tế", "cán bộ của SYT")):
        at = next(i for i, p in enumerate(part3) if agency.lower() in p.lower())
        text = " ".join(part3[at:at + 4])
        assert "cơ bản hoàn thành các nhiệm vụ được giao" in text
        assert "kinh phí còn hạn chế, thiếu cán bộ chuyên trách" in text
        assert own in text
    assert not any("15 thiết bị đo huyết áp" in p for p in part3)


def test_a_part_filled_paper_report_is_still_flagged_and_counted_alike(seeded: App, tmp_path: Path) -> None:
    """Bộ CHQS's paper report recorded on the web, a person typing only a plan on row 1 and
    only a rate on row 2: after the build «Vấn đề» lists each row not complete as open, and
    «Tình hình nộp», the Word annex and the JSON count exactly those open lines."""
    from flows.web import actions

    at = dt.datetime(2025, 8, 14, 3, 0, tzinfo=UTC)
    sub_id = actions.record_response(seeded, "bchqs", "paper", "report", at, "", None, "lan")["submission_id"]
    for row, field, value in (("1", "plan", "120"), ("2", "rate", "50"), ("3", "plan", "10"), ("3", "result", "8"),
                              ("5", "plan", "1.250"), ("5", "result", "12,5")):
        actions.correct_value(seeded, "bchqs", sub_id, "indicator", row, field, value, "nhập từ bản giấy", "lan")
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    wb = load_workbook(result["files"][1])
    problems = [[c.value for c in r] for r in wb["Vấn đề"].iter_rows(min_row=5)]
    mine = [p for p in problems if p[1] == "Bộ Chỉ huy Quân sự tỉnh"]
    assert [p[3].split(":")[0] for p in mine] == ["Dòng 1", "Dòng 2", "Dòng 4", "Dòng 6", "Dòng 7"]
    assert {p[2] for p in mine} == {"Chưa nhập số liệu"} and {p[5] for p in mine} == {"Chưa kiểm tra"}
    status = {r[0].value: [c.value for c in r] for r in wb["Tình hình nộp"].iter_rows(min_row=5)}
    opened = {}
    for p in problems:
        if p[5] == "Chưa kiểm tra":
            opened[p[1]] = opened.get(p[1], 0) + 1
    names = {r[0].value: r[1].value for r in wb["Tình hình nộp"].iter_rows(min_row=5)}
    # One source: every responding agency's count is the number of its open lines in «Vấn đề».
    for code, row in status.items():
        if row[10] is not None:
            assert row[10] == opened.get(names[code], 0), code
    assert status["bchqs"][10] == 5
    detail = {(r[0].value, r[2].value): [c.value for c in r] for r in wb["Chi tiết"].iter_rows(min_row=5)}
    assert detail[("bchqs", "5")][4:6] == [1250, 12.5]
    wb.close()
    assert {r["id"]: r["open_problems"] for r in result["responded"]}["bchqs"] == 5
    paras = [p.text for p in WordDocument(result["files"][0]).paragraphs]
    assert any("Bộ Chỉ huy Quân sự tỉnh" in p and "5 vấn đề chưa kiểm tra" in p for p in paras)


def test_a_settled_problem_is_no_longer_open_beside_one_still_open(seeded: App, tmp_path: Path) -> None:
    """Two figure problems of Sở Công Thương's report, a person settled one: «Vấn đề» marks only
    the other as not checked, and «Tình hình nộp» counts that one."""
    from parsers.model import Problem
    from parsers.vocab import ReviewStatus
    from storage.submissions import open_problem_reviews

    with seeded.session() as s:
        sub = s.scalars(select(Submission).where(Submission.content_key == "new")).one()
        first = Problem("rate_inconsistent", "Dòng 5: tỷ lệ báo cáo 110% không khớp (1.250 / 1.200 = 104,2%)", "bảng 1, dòng 7")
        second = Problem("number_unreadable", "Dòng 2: không đọc được số «4 (bốn)»", "bảng 1, dòng 4")
        sub.problems = [*sub.problems, first.to_json(), second.to_json()]
        items = open_problem_reviews(sub, sub.recipient_id, [first, second], session=s)
        items[0].status = ReviewStatus.RESOLVED  # the rate was checked
    result = build_report(seeded, out_dir=tmp_path, now=NOW)
    wb = load_workbook(result["files"][1])
    problems = [[c.value for c in r] for r in wb["Vấn đề"].iter_rows(min_row=5)]
    sct = {p[3]: p[5] for p in problems if p[1] == "Sở Công Thương"}
    assert sct[first.message] is None and sct[second.message] == "Chưa kiểm tra"
    status = {r[0].value: [c.value for c in r] for r in wb["Tình hình nộp"].iter_rows(min_row=5)}
    assert status["soct"][10] == 1
    wb.close()
