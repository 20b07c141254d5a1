"""A joined version keeps everything of the report it joins (independent review, third round:
cases 2 and 7). A figures-only correction, an appendix arriving after its report, an Excel
table beside the Word narrative in one mail and a dropped zip each make a version from
several files: the report's closing parts, group texts, extra text and extra rows survive,
and each figure's provenance names the file it was read from — in the stored values and in
the consolidated report («Chi tiết», «Nội dung», Word part III). Our own generated files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from sqlalchemy import select

from tests.integration.test_replace_rule import (
    ROW_FIGURES,
    _ingest,
    _letterhead,
    _mail,
    _save,
    _spec,
    _subs,
)

VN = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2025, 8, 6, 9, 0, tzinfo=VN)
AGENCY = "SỞ TƯ PHÁP"
NUMBER = "215/BC-STP"
CLOSING = {
    "danh_gia": ("II. ĐÁNH GIÁ CHUNG", "Các nhiệm vụ cơ bản hoàn thành đúng tiến độ đề ra, nguồn lực còn hạn chế."),
    "kho_khan": ("III. KHÓ KHĂN, VƯỚNG MẮC", "Kinh phí bố trí cho hoạt động đo lường còn thấp, thiếu cán bộ chuyên trách."),
    "kien_nghi": ("IV. KIẾN NGHỊ, ĐỀ XUẤT", "Đề nghị Bộ Khoa học và Công nghệ hỗ trợ kinh phí đầu tư chuẩn đo lường."),
    "phuong_huong": ("V. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", "Tiếp tục triển khai Đề án 996 giai đoạn 2026 - 2030 tại Sở."),
}
GROUP_TEXT = "Nhìn chung các nhiệm vụ của nhóm này được Sở lồng ghép vào kế hoạch công tác pháp chế hằng năm."
INTRO = "Thực hiện Văn bản của Sở Khoa học và Công nghệ về việc phối hợp báo cáo sơ kết Đề án 996, Sở Tư pháp báo cáo như sau:"
EXTRA_ROW = "Số văn bản quy phạm được rà soát về đo lường"


def _grid(doc, rows: dict[str, tuple[int, int]], *, extra: bool) -> None:
    spec = _spec()
    doc.add_paragraph("Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025").runs[0].bold = True
    grid = doc.add_table(rows=1, cols=5)
    head = ["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"]
    for cell, text in zip(grid.rows[0].cells, head, strict=True):
        cell.text = text
    lines = [(r.id, r.label, *rows[r.id]) for r in spec.rows if r.id in rows]
    if extra:
        lines.append(("8", EXTRA_ROW, 12, 9))
    for rid, label, plan, result in lines:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = rid, label
        cells[2].text, cells[3].text = f"{plan:,}".replace(",", "."), f"{result:,}".replace(",", ".")
        cells[4].text = f"{result / plan * 100:.1f}".replace(".", ",") if plan else "0"


def report_docx(rows: dict[str, tuple[int, int]] | None = ROW_FIGURES) -> bytes:
    """A complete report: the intro (text outside the outline), every section, a text under
    group 2.2's heading, the table (`rows`; None: no table) with a row of the agency's own,
    then the four closing parts."""
    from docx import Document

    spec = _spec()
    doc = Document()
    _letterhead(doc, AGENCY, NUMBER, 6)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    doc.add_paragraph(INTRO)
    groups = {g.id: g.heading for g in spec.groups}
    shown: set[str] = set()
    for section in spec.sections:
        parent, letter = section.id.rsplit(".", 1)
        for gid in (parent.split(".")[0], parent):
            if gid not in shown and gid in groups:
                shown.add(gid)
                doc.add_paragraph(f"{gid}. {groups[gid]}").runs[0].bold = True
                if gid == "2.2":
                    doc.add_paragraph(GROUP_TEXT)
        label = "đ" if letter == "dd" else letter
        doc.add_paragraph(f"{label}) {section.heading}: Sở đã triển khai nội dung {section.id}, ban hành văn bản hướng dẫn.")
    if rows is not None:
        _grid(doc, rows, extra=True)
    for heading, text in CLOSING.values():
        doc.add_paragraph(heading).runs[0].bold = True
        doc.add_paragraph(text)
    doc.add_paragraph("Nơi nhận: Sở KH&CN; Lưu: VT.")
    return _save(doc)


def correction_xlsx(rows: dict[str, tuple[int, int]], *, part_of: str = "") -> bytes:
    """A sheet with only some rows of the table (a correction, or an appendix naming its report)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Điều chỉnh"
    ws.append([AGENCY])
    ws.append([part_of or f"Điều chỉnh số liệu Báo cáo số {NUMBER}"])
    ws.append(["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ (%)"])
    labels = {r.id: r.label for r in _spec().rows}
    for rid, (plan, result) in rows.items():
        ws.append([rid, labels[rid], plan, result, round(result / plan * 100, 1) if plan else 0])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


def _stored(app, sub_id: int) -> tuple[dict[tuple[str, str], str], dict[str, dict]]:
    """((part, id) → text) of the answers and (row → its values JSON) of one submission."""
    from storage.models import IndicatorValue, SectionAnswer

    with app.session() as s:
        answers = {(a.part, a.section_id): a.text for a in s.scalars(select(SectionAnswer).where(SectionAnswer.submission_id == sub_id)) if not a.empty}
        values = {v.row_id: {"row": v.where, **v.values} for v in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub_id))}
    return answers, values


def _assert_kept(app, sub, *, extra_row: bool = True) -> None:
    """Every section, closing part, the group text, the intro and the extra row of the report."""
    answers, _ = _stored(app, sub.id)
    assert len([k for k in answers if k[0] == "section"]) == 17
    assert {k: answers.get(("closing", k)) for k in CLOSING} == {k: t for k, (_, t) in CLOSING.items()}
    assert answers.get(("group", "2.2")) == GROUP_TEXT
    assert INTRO[:40] in sub.extra_text
    assert [r["label"] for r in sub.extra_rows] == ([EXTRA_ROW] if extra_row else [])


def _read_from(values: dict[str, dict], file: str, rows: list[str]) -> None:
    """Each read figure of these rows (and the row) names `file` first."""
    for rid in rows:
        places = [values[rid]["row"]] + [v["where"] for role, v in values[rid].items() if role != "row" and v.get("source") == "read"]
        assert len(places) >= 3 and all(p.startswith(f"{file} › ") for p in places), (rid, places)


def _report(app, code: str) -> tuple[dict[str, str], str, str]:
    """From the built report: «Chi tiết» row → source, «Nội dung» closing row, Word text."""
    import openpyxl
    from docx import Document

    from flows.report import build_report

    result = build_report(app)
    files = {p.rsplit("/", 1)[-1].rsplit(".", 1)[-1]: p for p in result["files"]}
    wb = openpyxl.load_workbook(files["xlsx"], read_only=True, data_only=True)
    detail = {str(r[2]): str(r[8] or "") for r in wb["Chi tiết"].iter_rows(values_only=True) if len(r) > 8 and r[0] == code and r[2]}
    closing = " ".join(str(r[4]) for r in wb["Nội dung"].iter_rows(values_only=True) if len(r) > 4 and r[0] == code and r[2] == "khác")
    wb.close()
    word = "\n".join(p.text for p in Document(files["docx"]).paragraphs)
    return detail, closing, word


def _assert_report(app, sources: dict[str, str]) -> None:
    detail, closing, word = _report(app, "sotp")
    for rid, file in sources.items():
        assert detail[rid].startswith(f"{file} › "), (rid, detail[rid])
    for _, text in CLOSING.values():
        assert text in closing
    part3 = word[word.index("III."):]
    assert CLOSING["kho_khan"][1] in part3 and CLOSING["kien_nghi"][1] in part3


def test_the_generated_report_reads_as_meant():
    """The control: parsed alone, the report has what the joins must keep."""
    from parsers.api import parse_bytes

    r = parse_bytes(report_docx(), "BC 215.docx", _spec())
    assert len(r.answered_sections) == 17 and set(r.closing) >= set(CLOSING)
    assert r.groups["2.2"].text == GROUP_TEXT and INTRO[:40] in r.extra_text
    assert [x.label for x in r.extra_rows] == [EXTRA_ROW]


# --- a figures-only correction (the reviewer's case 2) ----------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_figures_only_correction_keeps_closing_parts_and_names_each_figures_file(mail_app, dovecot, fmt):
    from tests.integration.test_replace_rule import figures_only

    _ingest(mail_app, dovecot, _mail("sotp", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC 215.docx", report_docx())], 1), T0)
    fixed = {"4": (8, 10), "6": (1100, 1300)}
    data = correction_xlsx(fixed) if fmt == "xlsx" else figures_only(AGENCY, NUMBER, fixed)
    name = f"dieu chinh.{fmt}"
    later = _ingest(mail_app, dovecot, _mail("sotp", "Điều chỉnh số liệu Báo cáo số 215/BC-STP",
                                             "Sở Tư pháp điều chỉnh số liệu dòng 4 và 6 Báo cáo số 215/BC-STP; các nội dung khác giữ nguyên.",
                                             [(name, data)], 2), T0 + dt.timedelta(days=2))
    assert later["status"] == "processed" and later["units"][0].get("corrects"), later
    old, new = _subs(mail_app, "sotp")
    assert (old.status, new.status) == ("superseded", "valid")
    _assert_kept(mail_app, new)
    _, values = _stored(mail_app, new.id)
    assert (values["4"]["result"]["value"], values["6"]["result"]["value"], values["5"]["plan"]["value"]) == (10, 1300, 25)
    _read_from(values, name, ["4", "6"])
    _read_from(values, "BC 215.docx", ["1", "2", "3", "5", "7"])
    _assert_report(mail_app, {"4": name, "6": name, "1": "BC 215.docx", "7": "BC 215.docx"})


# --- an appendix joining its report ------------------------------------------------------------


@pytest.mark.parametrize("report_first", [True, False])
def test_an_appendix_joining_its_report_keeps_everything_and_names_its_file(mail_app, dovecot, report_first):
    """The report (rows 1–3 only) and, in another mail, the appendix naming it (rows 4–7):
    whichever comes first, the version has the report's parts and each row its own file."""
    head = {k: v for k, v in ROW_FIGURES.items() if k in ("1", "2", "3")}
    tail = {k: v for k, v in ROW_FIGURES.items() if k not in head}
    report = _mail("sotp", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC 215.docx", report_docx(head))], 1)
    appendix = _mail("sotp", "Phụ lục số liệu Đề án 996", "Gửi phụ lục.",
                     [("Phu luc.xlsx", correction_xlsx(tail, part_of=f"Kèm theo Báo cáo số {NUMBER} ngày 06/8/2025"))], 2)
    first, second = (report, appendix) if report_first else (appendix, report)
    _ingest(mail_app, dovecot, first, T0)
    done = _ingest(mail_app, dovecot, second, T0 + dt.timedelta(days=1))
    assert done["status"] == "processed", done
    current = next(s for s in _subs(mail_app, "sotp") if s.status == "valid")
    assert current.doc_number == NUMBER and not current.missing_rows
    _assert_kept(mail_app, current)
    _, values = _stored(mail_app, current.id)
    _read_from(values, "BC 215.docx", list(head))
    _read_from(values, "Phu luc.xlsx", list(tail))
    _assert_report(mail_app, {"1": "BC 215.docx", "5": "Phu luc.xlsx"})


def test_an_appendix_after_a_correction_keeps_the_reports_number_and_parts(mail_app, dovecot):
    """Report (rows 1–5), a correction of row 4, then an appendix with rows 6–7: three files, one version."""
    head = {k: v for k, v in ROW_FIGURES.items() if k in ("1", "2", "3", "4", "5")}
    _ingest(mail_app, dovecot, _mail("sotp", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo.", [("BC 215.docx", report_docx(head))], 1), T0)
    fix = _ingest(mail_app, dovecot, _mail("sotp", "Điều chỉnh số liệu Báo cáo số 215/BC-STP", "Điều chỉnh dòng 4.",
                                           [("dieu chinh.xlsx", correction_xlsx({"4": (8, 10)}))], 2), T0 + dt.timedelta(days=1))
    assert fix["status"] == "processed", fix
    tail = {"6": ROW_FIGURES["6"], "7": ROW_FIGURES["7"]}
    done = _ingest(mail_app, dovecot, _mail("sotp", "Phụ lục số liệu Đề án 996", "Gửi phụ lục.",
                                            [("Phu luc.xlsx", correction_xlsx(tail, part_of=f"Kèm theo Báo cáo số {NUMBER} ngày 06/8/2025"))], 3),
                   T0 + dt.timedelta(days=2))
    assert done["status"] == "processed" and done["units"][0].get("joined"), done
    current = next(s for s in _subs(mail_app, "sotp") if s.status == "valid")
    assert current.doc_number == NUMBER and not current.missing_rows and len(current.parts) == 3
    _assert_kept(mail_app, current)
    _, values = _stored(mail_app, current.id)
    assert values["4"]["result"]["value"] == 10
    _read_from(values, "dieu chinh.xlsx", ["4"])
    _read_from(values, "BC 215.docx", ["1", "5"])
    _read_from(values, "Phu luc.xlsx", ["6", "7"])


# --- companions in one mail, members of one zip ------------------------------------------------


def test_a_table_beside_the_narrative_in_one_mail_names_its_own_file(mail_app, dovecot):
    """The reviewer's case 7 (MTTQ, Sở Y tế): the Word file without a table, the Excel table beside it."""
    item = _ingest(mail_app, dovecot, _mail("sotp", "Báo cáo sơ kết Đề án 996", "Gửi báo cáo và phụ lục.",
                                            [("BC 215.docx", report_docx(None)),
                                             ("Phu luc.xlsx", correction_xlsx(ROW_FIGURES, part_of=f"Kèm theo Báo cáo số {NUMBER}"))], 1), T0)
    assert item["status"] == "processed", item
    (sub,) = _subs(mail_app, "sotp")
    _assert_kept(mail_app, sub, extra_row=False)
    _, values = _stored(mail_app, sub.id)
    _read_from(values, "Phu luc.xlsx", list(ROW_FIGURES))
    _assert_report(mail_app, {"1": "Phu luc.xlsx", "7": "Phu luc.xlsx"})


def test_a_dropped_zip_names_each_members_file(app, tmp_path):
    from flows.intake.folder import ingest_folder

    root = tmp_path / "chung"
    (root / "sotp").mkdir(parents=True)
    app.settings.drop.dir = root
    head = {k: v for k, v in ROW_FIGURES.items() if k in ("1", "2", "3")}
    tail = {k: v for k, v in ROW_FIGURES.items() if k not in head}
    target = root / "sotp" / "BC 215.zip"
    target.write_bytes(_zip([("BC 215.docx", report_docx(head)),
                             ("Phu luc.xlsx", correction_xlsx(tail, part_of=f"Kèm theo Báo cáo số {NUMBER}"))]))
    import os

    st = target.stat()
    os.utime(target, (st.st_atime - 600, st.st_mtime - 600))
    ingest_folder(app)
    ingest_folder(app)
    (sub,) = _subs(app, "sotp")
    _assert_kept(app, sub)
    _, values = _stored(app, sub.id)
    _read_from(values, "BC 215.docx", list(head))
    _read_from(values, "Phu luc.xlsx", list(tail))
    _assert_report(app, {"2": "BC 215.docx", "6": "Phu luc.xlsx"})
