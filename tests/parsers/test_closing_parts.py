"""Closing parts (đánh giá, khó khăn, kiến nghị, phương hướng) and group-level answers, read
from real .docx files written here in the layouts agencies use: numbered or lettered, Roman or
Arabic, run-in ("1. Kết quả đạt được: …") or on their own lines, reworded, reordered. And the
document's text always ends up somewhere: a section, a closing part, a group, or the loose text."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from docx import Document

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes, parse_path
from parsers.legacy import LibreOfficeConverter, find_soffice
from parsers.model import OutlineSpec, ParseResult, ProblemCode

ROOT = Path(__file__).resolve().parents[2]

DANH_GIA = "Các nhiệm vụ của Đề án cơ bản hoàn thành đúng tiến độ"
KHO_KHAN = "Kinh phí dành cho đo lường còn hạn hẹp, thiếu cán bộ chuyên trách"
KIEN_NGHI = "Đề nghị Sở Khoa học và Công nghệ mở thêm lớp tập huấn về đo lường"
PHUONG_HUONG = "Tiếp tục rà soát, kiểm định phương tiện đo tại các bệnh viện tuyến huyện"
LAST_ANSWER = "Đăng 04 tin bài trên Cổng thông tin điện tử của Sở"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _report(spec: OutlineSpec, closing: list[str | tuple[str, bool]], *, body: list[str] | None = None) -> bytes:
    """A Sở Y tế report: header, every section answered, the table, then `closing` (a bold line is
    `(text, True)`), "Nơi nhận" and the signature."""
    d = Document()
    for line in ("SỞ Y TẾ", "Số: 245/BC-SYT", "Quảng Ngãi, ngày 11 tháng 8 năm 2025", "BÁO CÁO",
                 "Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025",
                 "Thực hiện Công văn của Sở Khoa học và Công nghệ, Sở Y tế báo cáo như sau:",
                 "I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN ĐỀ ÁN 996"):
        d.add_paragraph(line)
    for line in body if body is not None else _sections(spec):
        d.add_paragraph(line)
    d.add_paragraph("3. Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025")
    table = d.add_table(rows=1 + len(spec.rows), cols=5)
    for i, head in enumerate(("STT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch")):
        table.cell(0, i).text = head
    for r, row in enumerate(spec.rows, start=1):
        for i, value in enumerate((row.id, row.label, "10", "8", "80%")):
            table.cell(r, i).text = value
    for item in closing:
        text, bold = item if isinstance(item, tuple) else (item, False)
        d.add_paragraph().add_run(text).bold = bold
    for line in ("Nơi nhận:", "- Như trên;", "- Lưu: VT.", "GIÁM ĐỐC", "(Đã ký)", "Nguyễn Văn An"):
        d.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _sections(spec: OutlineSpec) -> list[str]:
    lines = ["1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"]
    for group in spec.groups:
        if group.id != "1":
            lines.append(f"{group.id}. {group.heading}")
        for s in spec.sections:
            if s.id.rpartition(".")[0] == group.id:
                letter = "đ" if s.id.endswith("dd") else s.id[-1]
                answer = LAST_ANSWER if s.id == "2.5.b" else f"Sở Y tế đã thực hiện mục {s.id}, ban hành văn bản số {len(lines)}/SYT."
                lines.append(f"{letter}) {s.heading.removeprefix('(đ) ')}: {answer}")
    return lines


def _parse(spec: OutlineSpec, closing: list[str | tuple[str, bool]], **kw: list[str]) -> ParseResult:
    r = parse_bytes(_report(spec, closing, **kw), "bao-cao.docx", spec)
    assert r.kind == "report" and r.agency.id == "soyt"
    return r


def _closing(r: ParseResult) -> dict[str, str]:
    return {k: v.text for k, v in r.closing.items()}


def _sections_clean(r: ParseResult) -> None:
    """The sections are as answered: none took closing text, the last keeps only its answer."""
    assert r.sections["2.5.b"].text == LAST_ANSWER
    for s in r.sections.values():
        assert not any(p[:30] in s.text for p in (DANH_GIA, KHO_KHAN, KIEN_NGHI, PHUONG_HUONG))
    assert not r.missing_sections


LAYOUTS = {
    "roman_run_in_numbered": [
        "II. ĐÁNH GIÁ CHUNG",
        f"1. Kết quả đạt được: {DANH_GIA}.",
        f"2. Tồn tại, hạn chế, khó khăn: {KHO_KHAN}.",
        "III. ĐỀ XUẤT, KIẾN NGHỊ",
        f"{KIEN_NGHI}.",
    ],
    "roman_separate_headings": [
        "II. ĐÁNH GIÁ CHUNG",
        f"{DANH_GIA}.",
        "III. KHÓ KHĂN, VƯỚNG MẮC",
        f"{KHO_KHAN}.",
        "IV. KIẾN NGHỊ, ĐỀ XUẤT",
        f"{KIEN_NGHI}.",
        "V. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
        f"{PHUONG_HUONG}.",
    ],
    "phan_reworded_sub_headings_on_their_own_lines": [
        ("PHẦN II. NHẬN XÉT, ĐÁNH GIÁ", True),
        "1. Những kết quả nổi bật",
        f"{DANH_GIA}.",
        "2. Một số tồn tại, hạn chế",
        f"- {KHO_KHAN}.",
        ("PHẦN III. KIẾN NGHỊ", True),
        f"- {KIEN_NGHI}.",
    ],
    "arabic_numbers_after_the_table": [
        f"4. Đánh giá chung: {DANH_GIA}.",
        f"5. Khó khăn, vướng mắc: {KHO_KHAN}.",
        f"6. Kiến nghị, đề xuất: {KIEN_NGHI}.",
        f"7. Phương hướng thời gian tới: {PHUONG_HUONG}.",
    ],
    "capital_letters_and_lettered_sub_items": [
        "B. ĐÁNH GIÁ CHUNG",
        f"a) Ưu điểm: {DANH_GIA}.",
        f"b) Hạn chế: {KHO_KHAN}.",
        "C. ĐỀ XUẤT",
        f"{KIEN_NGHI}.",
    ],
    "reordered_with_bold_run_in_sub_headings": [
        "II. KIẾN NGHỊ VÀ ĐÁNH GIÁ",
        (f"Kiến nghị: {KIEN_NGHI}.", True),
        (f"Khó khăn: {KHO_KHAN}.", True),
        (f"Kết quả đạt được: {DANH_GIA}.", True),
    ],
    "unlabelled_headings_after_the_table": [
        "Đánh giá chung",
        f"{DANH_GIA}.",
        f"Khó khăn, vướng mắc: {KHO_KHAN}.",
        f"Kiến nghị: {KIEN_NGHI}.",
    ],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_closing_parts_are_typed_whatever_the_layout(spec: OutlineSpec, layout: str) -> None:
    r = _parse(spec, LAYOUTS[layout])
    got = _closing(r)
    assert DANH_GIA in got.get("danh_gia", ""), got
    assert KHO_KHAN in got.get("kho_khan", ""), got
    assert KIEN_NGHI in got.get("kien_nghi", ""), got
    if any(PHUONG_HUONG in (x if isinstance(x, str) else x[0]) for x in LAYOUTS[layout]):
        assert PHUONG_HUONG in got.get("phuong_huong", ""), got
    # Each part holds its own text only.
    assert KHO_KHAN not in got["danh_gia"] and DANH_GIA not in got["kho_khan"] and KHO_KHAN not in got["kien_nghi"]
    _sections_clean(r)
    for part in r.closing.values():
        assert part.where.startswith("đoạn") and part.confidence > 0.5


def test_closing_items_without_their_own_heading_stay_in_the_part(spec: OutlineSpec) -> None:
    """ "III. KHÓ KHĂN" then "1. Về nhân lực: …", "2. Về kinh phí: …": the part's own list, not the
    outline's groups 1 and 2 (nor "Về công tác tuyên truyền: …" its section 2.5.a)."""
    r = _parse(spec, [
        "II. KHÓ KHĂN, VƯỚNG MẮC",
        "1. Về nhân lực: thiếu cán bộ chuyên trách về đo lường.",
        "2. Về kinh phí: kinh phí sự nghiệp còn hạn hẹp.",
        "3. Về công tác tuyên truyền: chưa thường xuyên.",
        "III. KIẾN NGHỊ",
        f"{KIEN_NGHI}.",
    ])
    kho_khan = r.closing["kho_khan"].text
    assert "thiếu cán bộ chuyên trách" in kho_khan and "hạn hẹp" in kho_khan and "chưa thường xuyên" in kho_khan
    assert KIEN_NGHI in r.closing["kien_nghi"].text
    assert "kho_khan" not in r.groups and not r.groups
    _sections_clean(r)


def test_closing_after_the_signature_is_read(spec: OutlineSpec) -> None:
    """Closing parts pasted after the signature ("II. ĐÁNH GIÁ CHUNG" is only three words) are
    read as the report's, not taken for the signature block."""
    data = _report(spec, [])
    d = Document(io.BytesIO(data))
    for line in ("II. ĐÁNH GIÁ CHUNG", f"{DANH_GIA}.", "III. KIẾN NGHỊ", f"{KIEN_NGHI}."):
        d.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    r = parse_bytes(out.getvalue(), "bao-cao.docx", spec)
    assert DANH_GIA in r.closing["danh_gia"].text and KIEN_NGHI in r.closing["kien_nghi"].text


def test_a_run_in_assessment_inside_an_answer_stays_in_the_section(spec: OutlineSpec) -> None:
    """ "- Khó khăn: …" written inside section 2.5.b's answer is part of that answer."""
    body = _sections(spec)
    body.append("- Khó khăn: các đơn vị chưa bố trí được kinh phí cho tin bài.")
    r = _parse(spec, ["III. KIẾN NGHỊ", f"{KIEN_NGHI}."], body=body)
    assert "chưa bố trí được kinh phí cho tin bài" in r.sections["2.5.b"].text
    assert "kho_khan" not in r.closing


def test_a_group_answered_as_a_whole_is_kept_with_a_problem(spec: OutlineSpec) -> None:
    """ "2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương: đầu tư 15 thiết bị …" with no
    2.2.a–đ: the text is the group's (never dropped) and a typed problem says it was answered
    together; each section it covers gets the group's text, marked as the group's (answered by
    the group, not missing: no reminder asks for text the agency sent)."""
    body = [line for line in _sections(spec) if not re.match(r"^[a-zđ]\) ", line) or not _in_group(line, spec, "2.2")]
    at = body.index("2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương")
    body[at] = "2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương: các bệnh viện tuyến tỉnh đầu tư 15 thiết bị đo huyết áp chuẩn."
    r = _parse(spec, ["III. KIẾN NGHỊ", f"{KIEN_NGHI}."], body=body)
    assert "đầu tư 15 thiết bị" in r.groups["2.2"].text and r.groups["2.2"].where.startswith("đoạn")
    covered = ("2.2.a", "2.2.b", "2.2.c", "2.2.d", "2.2.dd")
    assert not set(covered) & set(r.missing_sections)
    assert all(r.sections[sid].group == "2.2" and r.sections[sid].text == r.groups["2.2"].text for sid in covered)
    problems = [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]
    assert len(problems) == 1 and "2.2" in problems[0].message and problems[0].where == r.groups["2.2"].where
    assert problems[0].sections == covered
    assert "15 thiết bị" in r.extra_text
    assert r.to_json()["groups"]["2.2"]["text"] == r.groups["2.2"].text


def test_a_group_introduction_with_every_section_answered_is_no_problem(spec: OutlineSpec) -> None:
    body = _sections(spec)
    at = body.index("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường")
    body.insert(at + 1, "Trong giai đoạn, Sở phối hợp chặt chẽ với các đơn vị liên quan")
    r = _parse(spec, ["III. KIẾN NGHỊ", f"{KIEN_NGHI}."], body=body)
    assert "phối hợp chặt chẽ" in r.groups["2.3"].text
    assert not [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]
    assert "phối hợp chặt chẽ" not in r.sections["2.3.a"].text


def _in_group(line: str, spec: OutlineSpec, gid: str) -> bool:
    heads = [s.heading.removeprefix("(đ) ") for s in spec.sections if s.id.rpartition(".")[0] == gid]
    return any(line[3:].startswith(h) for h in heads)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_no_text_of_the_report_is_dropped(spec: OutlineSpec, layout: str) -> None:
    """Every answer sentence of the document is in a section, a closing part, a group or the
    loose text: nothing the agency wrote vanishes."""
    r = _parse(spec, LAYOUTS[layout])
    placed = " ".join([*(s.text for s in r.sections.values()), *(c.text for c in r.closing.values()),
                       *(g.text for g in r.groups.values()), r.extra_text])
    for item in LAYOUTS[layout]:
        text = item if isinstance(item, str) else item[0]
        answer = text.split(":", 1)[1] if ":" in text else text
        assert answer.strip(" .-")[:40] in placed, answer


INDEPENDENT = ROOT / "tests" / "fixtures" / "independent"


@pytest.mark.parametrize(
    "name",
    ["v01_sotp_closing_run_in.docx", "v02_soyt_group_answers.docx", "v03_congan_closing_after_signature.docx"],
)
def test_reviewer_reports_keep_their_closing_parts(spec: OutlineSpec, name: str) -> None:
    """Three reports of the independent reviewer's corpus (the files that showed the loss): each
    closing part holds its phrases (from the file's .expected.json), and each only its own."""
    expected = json.loads((INDEPENDENT / f"{name}.expected.json").read_text(encoding="utf-8"))["closing"]
    r = parse_path(INDEPENDENT / name, spec)
    assert set(r.closing) == set(expected)
    for part, phrases in expected.items():
        assert all(ph in r.closing[part].text for ph in phrases), (part, r.closing[part].text)
        others = [ph for other, phs in expected.items() if other != part for ph in phs]
        assert not any(ph in r.closing[part].text for ph in others)


def test_reviewer_group_answer_is_kept(spec: OutlineSpec) -> None:
    r = parse_path(INDEPENDENT / "v02_soyt_group_answers.docx", spec)
    assert "đầu tư 15 thiết bị đo huyết áp chuẩn" in r.groups["2.2"].text
    assert any(p.code == ProblemCode.GROUP_ANSWERED and "2.2" in p.message for p in r.problems)
    assert r.sections["2.1.b"].explicit_none  # "2.1. Về chính sách: Không phát sinh." answers the group


@pytest.mark.usefixtures("warm_lo")
@pytest.mark.parametrize("target", ["docx", "odt"])
def test_closing_parts_in_a_file_libreoffice_wrote(spec: OutlineSpec, target: str) -> None:
    """The same report saved by LibreOffice (its own .docx XML, and .odt read through it)."""
    if not find_soffice():
        pytest.skip("LibreOffice is not installed")
    data = _report(spec, LAYOUTS["roman_run_in_numbered"])
    saved = LibreOfficeConverter(timeout=600).convert(data, "docx", target)
    r = parse_bytes(saved, f"bao-cao.{target}", spec, converter=LibreOfficeConverter(timeout=600))
    got = _closing(r)
    assert DANH_GIA in got["danh_gia"] and KHO_KHAN in got["kho_khan"] and KIEN_NGHI in got["kien_nghi"]
    _sections_clean(r)


def test_an_introduction_under_a_parent_group_is_no_group_answer(spec: OutlineSpec) -> None:
    """Text under "2. Kết quả thực hiện …" above 2.1 introduces the subgroups: kept for group 2,
    no problem even when a section of 2.x is unanswered."""
    body = [line for line in _sections(spec) if not line.startswith("b) Về thực hiện chuẩn hóa năng lực")]
    at = next(i for i, line in enumerate(body) if line.startswith("2. "))
    body.insert(at + 1, "Giai đoạn 2018 - 2025, Sở triển khai đồng bộ các nhóm nhiệm vụ sau")
    r = _parse(spec, ["III. KIẾN NGHỊ", f"{KIEN_NGHI}."], body=body)
    assert "triển khai đồng bộ" in r.groups["2"].text and "2.1.b" in r.missing_sections
    assert not [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]
