"""The forms sent with the request come back machine-readable; mail templates render and reload."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from config.campaign import Campaign, load_campaign
from flows.app import outline_spec
from parsers.api import parse_bytes
from reports.forms import form_xlsx, outline_docx
from reports.mailtext import MailTextError, render_mail

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(ROOT / "config" / "campaigns" / "de-an-996.yaml")


def test_filled_xlsx_form_parses_to_every_indicator(campaign: Campaign) -> None:
    wb = load_workbook(io.BytesIO(form_xlsx(campaign)))
    ws = wb.active
    for row in ws.iter_rows(min_row=6):
        if str(row[0].value or "").isdigit():
            n = int(row[0].value)
            row[2].value, row[3].value = f"{1250 * n:,}".replace(",", "."), 1000 * n
    buffer = io.BytesIO()
    wb.save(buffer)
    result = parse_bytes(buffer.getvalue(), "bieu-dinh-luong.xlsx", outline_spec(campaign))
    assert result.error is None
    values = {rid: (v["plan"], v["result"]) for rid, v in result.to_json()["indicators"].items()}
    assert values == {str(n): (1250 * n, 1000 * n) for n in range(1, 8)}


def test_outline_docx_has_every_section_and_the_table(campaign: Campaign) -> None:
    data = outline_docx(campaign)
    parsed = parse_bytes(data, "de-cuong.docx", outline_spec(campaign)).to_json()
    assert set(parsed["sections"]) == set(campaign.outline.section_ids)
    from docx import Document

    table = Document(io.BytesIO(data)).tables[0]
    assert [c.text.split("\n")[0] for c in table.rows[0].cells] == ["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"]
    assert [r.cells[0].text for r in table.rows[1:]] == ["I", "1", "2", "3", "4", "II", "5", "6", "7"]


def _context(campaign: Campaign) -> dict:
    return {
        "campaign": campaign, "request": campaign.request, "contact": campaign.request.contact,
        "deadline": campaign.deadline, "recipient": {"code": "sonv", "name": "Sở Nội vụ"},
        "reply_to": "tdc@skhcn.quangngai.example", "attachment_names": ["de-cuong.docx"],
        "form_xlsx_name": "bieu.xlsx", "state": "not_responded", "acknowledged": False,
        "overdue": True, "overdue_days": 2, "days_left": 0, "deadline_note": "đã quá hạn 2 ngày làm việc", "missing_sections": [], "missing_rows": [],
    }


def test_templates_name_request_deadline_and_contact(campaign: Campaign) -> None:
    for name in ("request", "reminder", "reminder_incomplete"):
        subject, text = render_mail(ROOT / "config" / "templates", name, _context(campaign))
        assert "…/SKHCN-TĐC" in subject and "\n" not in subject
        assert "Kính gửi: Sở Nội vụ" in text and "15/08/2025" in text
        assert "Phòng Tiêu chuẩn Đo lường Chất lượng" in text and "trả lời thư này" in text.lower()


def test_staff_edits_apply_and_mistakes_are_named(tmp_path: Path, campaign: Campaign) -> None:
    shutil.copy(ROOT / "config" / "templates" / "reminder.txt.j2", tmp_path / "reminder.txt.j2")
    render_mail(tmp_path, "reminder", _context(campaign))
    (tmp_path / "reminder.txt.j2").write_text("Subject: Nhắc lần nữa {{ recipient.name }}\nNội dung mới\n", "utf-8")
    import os

    os.utime(tmp_path / "reminder.txt.j2", (1, 2_000_000_000))  # a new mtime, whatever the clock
    assert render_mail(tmp_path, "reminder", _context(campaign)) == ("Nhắc lần nữa Sở Nội vụ", "Nội dung mới\n")
    (tmp_path / "bad.txt.j2").write_text("Không có dòng tiêu đề\n", "utf-8")
    with pytest.raises(MailTextError, match="Subject"):
        render_mail(tmp_path, "bad", {})
    (tmp_path / "undef.txt.j2").write_text("Subject: {{ khong_co }}\n", "utf-8")
    with pytest.raises(MailTextError, match="biến không có"):
        render_mail(tmp_path, "undef", {})
    with pytest.raises(MailTextError, match="không tìm thấy"):
        render_mail(tmp_path, "missing", {})


def test_a_line_of_text_ending_in_a_tag_stays_a_line(tmp_path: Path) -> None:
    """Lines holding only tags vanish; a line of text keeps its end, whatever tag closes it."""
    (tmp_path / "lines.txt.j2").write_text(
        "Subject: Thử\n"
        "{# ghi chú của cán bộ #}\n"
        "Các dòng:\n"
        "{% for r in rows %}\n"
        "    + Dòng {{ r.id }}: {% if r.none %}không phát sinh{% else %}{{ r.v }}{% endif %}\n"
        "{% endfor %}\n"
        "Ghi chú {# nội bộ #}\n"
        "{% raw %}{% giữ nguyên %}{% endraw %}\n"
        "- Hết{% if late %} (muộn){% endif %}\n"
        "\n"
        "Trân trọng.{% if sign %}\n"
        "{{ sign }}{% endif %}\n"
        "--\n",
        "utf-8",
    )
    rows = [{"id": 1, "none": False, "v": 5}, {"id": 2, "none": True, "v": 0}, {"id": 3, "none": False, "v": 7}]
    _, text = render_mail(tmp_path, "lines", {"rows": rows, "late": False, "sign": "Sở KH&CN"})
    assert text.splitlines() == [
        "Các dòng:", "    + Dòng 1: 5", "    + Dòng 2: không phát sinh", "    + Dòng 3: 7", "Ghi chú ",
        "{% giữ nguyên %}", "- Hết", "", "Trân trọng.", "Sở KH&CN", "--",
    ]


def test_request_attachments_configured_files_then_forms(tmp_path: Path, campaign: Campaign) -> None:
    from config.errors import ConfigError
    from flows.outbound.letters import request_attachments

    (tmp_path / "cong-van-996.pdf").write_bytes(b"%PDF-1.4 thu")
    with_letter = campaign.model_copy(
        update={"request": campaign.request.model_copy(update={"attachments": ["cong-van-996.pdf"]}),
                "source_dir": tmp_path}
    )
    files = request_attachments(with_letter)
    assert [(f[0], f[2]) for f in files][0] == ("cong-van-996.pdf", "application/pdf")
    assert [f[0] for f in files][1:] == ["de-cuong-de-an-996.docx", "bieu-dinh-luong-de-an-996.xlsx"]
    missing = with_letter.model_copy(
        update={"request": campaign.request.model_copy(update={"attachments": ["khong-co.pdf"]})}
    )
    with pytest.raises(ConfigError, match="khong-co.pdf"):
        request_attachments(missing)


def test_xlsx_form_takes_figures_written_the_vietnamese_way(campaign: Campaign) -> None:
    """The instruction says «1.250» and «12,5»: the figure cells are text cells accepting any
    text (an en-US Excel would turn a typed 1.250 into 1,25 in a number cell and a decimal
    validation would refuse 12,5), and what was typed is read the Vietnamese way."""
    wb = load_workbook(io.BytesIO(form_xlsx(campaign)))
    ws = wb.active
    note = " ".join(str(ws[ref].value) for ref in ("A3", "A4"))
    assert "1.250" in note and "12,5" in note and "dấu chấm tách hàng nghìn" in note
    rows = [r for r in ws.iter_rows(min_row=6) if str(r[0].value or "").isdigit()]
    assert {c.number_format for r in rows for c in r[2:5]} == {"@"}
    validations = ws.data_validations.dataValidation
    assert validations and all(v.type in (None, "none") for v in validations)  # nothing typed is refused
    assert all("1.250" in (v.prompt or "") and "12,5" in (v.prompt or "") for v in validations)
    typed = {1: ("1.250", "1.312,5", "105%"), 2: ("12,5", "10", ""), 3: ("3.000", "2.640", "88,0")}
    for r in rows:
        n = int(r[0].value)
        r[2].value, r[3].value, r[4].value = typed.get(n, (str(n), str(n), ""))
    buffer = io.BytesIO()
    wb.save(buffer)
    result = parse_bytes(buffer.getvalue(), "bieu-dinh-luong.xlsx", outline_spec(campaign))
    assert result.error is None
    got = {rid: (v["plan"], v["result"], v["rate"]) for rid, v in result.to_json()["indicators"].items()}
    assert got["1"] == (1250, 1312.5, 105) and got["2"][:2] == (12.5, 10) and got["3"] == (3000, 2640, 88)
    assert {rid: got[rid][:2] for rid in ("4", "5", "6", "7")} == {str(n): (n, n) for n in range(4, 8)}
    assert not [p for p in result.problems if p.code in ("number_ambiguous", "number_unreadable")]


def test_form_headings_say_each_word_once(campaign: Campaign) -> None:
    """«Kế hoạch / đến năm 2025», never «Kế hoạch (Kế hoạch đến năm 2025)»; the outline's
    own heading is kept when it does not start with the short word."""
    from reports.forms import _title

    ws = load_workbook(io.BytesIO(form_xlsx(campaign))).active
    heads = [str(c.value) for c in ws[5]]
    assert heads[2:] == ["Kế hoạch\nđến năm 2025", "Kết quả\nđến năm 2025", "Tỷ lệ\nđạt được so với kế hoạch (%)"]
    for head in heads[2:]:
        first, _, rest = head.partition("\n")
        assert first.casefold() not in rest.casefold()
    assert _title("Kế hoạch", "Chỉ tiêu giao") == "Kế hoạch\n(Chỉ tiêu giao)"
    assert _title("Kế hoạch", "Kế hoạch") == "Kế hoạch"


def test_outline_docx_looks_like_an_official_document(campaign: Campaign) -> None:
    """Nghị định 30 style: A4, every paragraph in a plain style (no Word «Heading»/«Title»
    style: blue, sans-serif), every run Times New Roman (all scripts) and black."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(outline_docx(campaign)))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    paragraphs = [*doc.paragraphs, *(p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs)]
    assert {p.style.name for p in paragraphs} == {"Normal"}
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}
    runs = [r for p in paragraphs for r in p.runs if r.text.strip()]
    assert runs and {r.font.name for r in runs} == {"Times New Roman"}
    assert {str(r.font.color.rgb) for r in doc.paragraphs[0].runs} == {"000000"}
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "ĐỀ CƯƠNG BÁO CÁO" and doc.paragraphs[0].runs[0].bold
    assert "2.1. Đổi mới, sửa đổi chính sách tạo thuận lợi hoạt động đo lường hỗ trợ doanh nghiệp" in texts


def test_a_deadline_is_the_whole_day_or_its_time() -> None:
    import datetime as dt

    from reports.mailtext import deadline_words

    assert deadline_words(dt.date(2025, 8, 15)) == "chậm nhất trong ngày 15/08/2025"
    assert deadline_words(dt.datetime(2025, 8, 15, 23, 59, 59)) == "chậm nhất trong ngày 15/08/2025"
    assert deadline_words(dt.datetime(2025, 8, 15, 17, 0)) == "chậm nhất 17:00 ngày 15/08/2025"
