"""Simulated agency replies for the demo: realistic Vietnamese mail with Word/Excel reports.

About 25 replies in the ways agencies really answer: full reports in Word (three layouts) and
Excel, a zip, nil reports in the body or as a short letter, promises to send later, an
auto-reply, a bounce, a late report, a corrected second version, a reply from a personal
address signed with the agency's name, and one nobody can attribute. Plus a few files for
the shared drop folder. Everything is generated here (python-docx, openpyxl), deterministically.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.styles import Font

from config.campaign import Campaign
from config.recipients import Recipient
from parsers.numbers import vn_number

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE = "tdc@skhcn.quangngai.example"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class DemoMail:
    """One simulated message: raw bytes, its arrival time and what it shows."""

    raw: bytes
    received: dt.datetime
    note: str


@dataclass(frozen=True)
class DemoFile:
    """A file to put in the drop folder (path relative to it)."""

    path: str
    data: bytes
    note: str


# --- content ------------------------------------------------------------------------------

SENTENCES = {
    "1": [
        "{name} đã ban hành Kế hoạch triển khai thực hiện Đề án 996 trên cơ sở Kế hoạch số"
        " 101/KH-UBND ngày 15/7/2021 của UBND tỉnh, phân công cụ thể cho từng phòng chuyên môn.",
        "Hằng năm, {name} lồng ghép nội dung đo lường vào kế hoạch công tác và chương trình"
        " cải cách hành chính của đơn vị.",
        "Lãnh đạo {name} thường xuyên chỉ đạo, đôn đốc việc triển khai; đã ban hành {n} văn bản"
        " hướng dẫn, đôn đốc thực hiện.",
    ],
    "2.1": [
        "Đơn vị đã phối hợp góp ý {n} dự thảo văn bản quy phạm pháp luật liên quan đến hoạt"
        " động đo lường, tạo môi trường pháp lý thuận lợi cho doanh nghiệp.",
        "Tạo điều kiện để các tổ chức kiểm định, hiệu chuẩn, thử nghiệm được đăng ký hoạt"
        " động, góp phần xã hội hóa hoạt động đo lường.",
    ],
    "2.2": [
        "Giai đoạn 2018 – 2025 đã đầu tư {n} chuẩn đo lường và phương tiện đo phục vụ kiểm"
        " định, hiệu chuẩn với tổng kinh phí khoảng {money} triệu đồng.",
        "Cử {n} lượt cán bộ tham gia các khóa bồi dưỡng, tập huấn nghiệp vụ đo lường do Tổng"
        " cục (nay là Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia) tổ chức.",
        "Phối hợp thực hiện {n} nhiệm vụ nghiên cứu ứng dụng khoa học công nghệ về đo lường.",
    ],
    "2.3": [
        "Phối hợp với Sở Khoa học và Công nghệ tổ chức {n} hội nghị phổ biến văn bản quản lý"
        " về đo lường cho doanh nghiệp trên địa bàn.",
        "Tham gia {n} đoàn kiểm tra liên ngành về đo lường đối với cơ sở kinh doanh xăng"
        " dầu, cân trong thương mại bán lẻ; không phát hiện vi phạm nghiêm trọng.",
    ],
    "2.4": [
        "Hướng dẫn {n} doanh nghiệp xây dựng và áp dụng Chương trình đảm bảo đo lường theo"
        " Quyết định số 510/QĐ-BKHCN.",
        "Hỗ trợ kiểm định, hiệu chuẩn {n} phương tiện đo cho các doanh nghiệp trong khu,"
        " cụm công nghiệp.",
    ],
    "2.5": [
        "Đăng {n} tin, bài tuyên truyền về Đề án 996 trên trang thông tin điện tử của đơn vị.",
        "Lồng ghép nội dung tuyên truyền về đo lường tại {n} hội nghị, hội thảo chuyên đề.",
    ],
}
NIL_SECTION = "Đơn vị không được giao nhiệm vụ nội dung này."


def section_text(section_id: str, name: str, rng: random.Random) -> str:
    """A plausible paragraph for one section of the outline."""
    group = section_id.split(".")[0] if section_id.startswith("1") else ".".join(section_id.split(".")[:2])
    pool = SENTENCES.get(group, SENTENCES["1"])
    if rng.random() < 0.12:
        return NIL_SECTION
    picks = rng.sample(pool, k=min(len(pool), rng.choice((1, 2))))
    return " ".join(p.format(name=name, n=rng.randint(2, 40), money=f"{rng.randint(1, 9)}.{rng.randint(100, 999)}") for p in picks)


def table_values(rng: random.Random) -> list[tuple[str, float, float]]:
    """(row id, plan, result) for the 7 rows of the table."""
    values = []
    for row_id in ("1", "2", "3", "4", "5", "6", "7"):
        plan = rng.choice((0, 2, 5, 10, 20, 50, 120, 1250, 3000))
        result = round(plan * rng.uniform(0.6, 1.3)) if plan else rng.choice((0, 0, 3))
        values.append((row_id, float(plan), float(result)))
    return values


def rate(plan: float, result: float) -> str:
    """'96,5%' or '-' when there was no plan."""
    return f"{vn_number(round(100 * result / plan, 1))}%" if plan else "-"


# --- Word ---------------------------------------------------------------------------------


def _letterhead(doc, name: str, number: str, day: dt.date) -> None:
    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.text = f"UBND TỈNH QUẢNG NGÃI\n{name.upper()}\nSố: {number}"
    right.text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    p = doc.add_paragraph(f"Quảng Ngãi, ngày {day.day:02d} tháng {day.month} năm {day.year}")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("BÁO CÁO").bold = True
    sub = doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 – 2025")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("Kính gửi: Sở Khoa học và Công nghệ tỉnh Quảng Ngãi.")


def _table(doc, campaign: Campaign, values: list[tuple[str, float, float]], style: str) -> None:
    labels = {r.id: r.label for r in campaign.outline.table.rows}
    groups = {g.id: g.label for g in campaign.outline.table.groups}
    doc.add_paragraph().add_run("II. " + campaign.outline.table.title.upper() if style == "formal" else campaign.outline.table.title).bold = True
    head = ["STT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"]
    if style == "compact":
        head = ["TT", "Chỉ tiêu", "KH 2025", "KQ 2025", "Tỷ lệ (%)"]
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = text
    current = None
    for row_id, plan, result in values:
        group = next(r.group for r in campaign.outline.table.rows if r.id == row_id)
        if group != current and style == "formal":
            cells = table.add_row().cells
            cells[0].text = group
            merged = cells[1].merge(cells[4])
            merged.text = groups.get(group, "")
            current = group
        cells = table.add_row().cells
        cells[0].text = row_id
        cells[1].text = labels[row_id]
        cells[2].text = vn_number(plan)
        cells[3].text = vn_number(result)
        cells[4].text = rate(plan, result).rstrip("%") if style == "compact" else rate(plan, result)


def report_docx(campaign: Campaign, rec: Recipient, day: dt.date, style: str, seed: int) -> bytes:
    """A full report in Word, in one of three layouts: formal, compact, two-column."""
    rng = random.Random(seed)
    doc = Document()
    _letterhead(doc, rec.name, f"{rng.randint(100, 999)}/BC-{rec.code.upper()}", day)
    doc.add_paragraph(
        f"Thực hiện Công văn của Sở Khoa học và Công nghệ về việc phối hợp báo cáo sơ kết Đề án"
        f" 996, {rec.name} báo cáo kết quả thực hiện như sau:"
    )
    sections = campaign.outline.sections
    if style == "two-column":
        doc.add_paragraph().add_run("I. KẾT QUẢ THỰC HIỆN").bold = True
        t = doc.add_table(rows=1, cols=3)
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, ("Mục", "Nội dung theo đề cương", "Kết quả thực hiện"), strict=True):
            cell.text = text
        for s in sections:
            cells = t.add_row().cells
            cells[0].text = s.id.replace(".dd", ".đ")
            cells[1].text = s.heading
            cells[2].text = section_text(s.id, rec.name, rng)
    else:
        doc.add_paragraph().add_run("I. KẾT QUẢ THỰC HIỆN").bold = True
        groups = {g.id: g.heading for g in campaign.outline.groups}
        done: set[str] = set()
        for s in sections:
            parent = s.id.rsplit(".", 1)[0]
            for gid in (parent.split(".")[0], parent):
                if gid in groups and gid not in done:
                    done.add(gid)
                    if style == "formal":
                        doc.add_heading(f"{gid}. {groups[gid]}", level=2 if "." not in gid else 3)
                    else:
                        doc.add_paragraph(f"{gid}. {groups[gid]}")
            letter = s.id.rsplit(".", 1)[1].replace("dd", "đ")
            heading = f"{letter}) {s.heading}" if style == "formal" else f"{s.id.replace('dd', 'đ')}. {s.heading}"
            p = doc.add_paragraph()
            p.add_run(heading).bold = style == "formal"
            doc.add_paragraph(section_text(s.id, rec.name, rng))
    _table(doc, campaign, table_values(rng), "compact" if style == "compact" else "formal")
    doc.add_paragraph().add_run("III. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ").bold = True
    doc.add_paragraph(
        "Nguồn lực đầu tư cho hạ tầng đo lường còn hạn chế; đề nghị Sở Khoa học và Công nghệ"
        " tiếp tục tổ chức tập huấn nghiệp vụ cho cán bộ phụ trách."
    )
    doc.add_paragraph(f"Trên đây là báo cáo của {rec.name}./.")
    doc.add_paragraph("Nơi nhận:\n- Sở KH&CN;\n- Lưu: VT.")
    doc.add_paragraph("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def nil_docx(rec: Recipient, day: dt.date) -> bytes:
    """A one-page letter saying the agency has nothing to report."""
    doc = Document()
    _letterhead(doc, rec.name, f"{random.Random(rec.code).randint(10, 99)}/{rec.code.upper()}-VP", day)
    doc.add_paragraph(
        f"{rec.name} nhận được Công văn của Sở Khoa học và Công nghệ về việc phối hợp báo cáo sơ"
        " kết Đề án 996. Qua rà soát, đơn vị không được giao nhiệm vụ tại Kế hoạch số 101/KH-UBND"
        " nên không có nội dung báo cáo."
    )
    doc.add_paragraph(f"{rec.name} thông báo để Sở Khoa học và Công nghệ biết, tổng hợp./.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- Excel --------------------------------------------------------------------------------


def report_xlsx(campaign: Campaign, rec: Recipient, seed: int) -> bytes:
    """A report as a workbook: a figures sheet (some numbers as Vietnamese text) + a text sheet."""
    rng = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu số liệu"
    ws["A1"] = rec.name.upper()
    ws["A2"] = campaign.outline.table.title.upper()
    ws["A1"].font = ws["A2"].font = Font(bold=True)
    ws.append([])
    ws.append(["STT", "Nội dung", "Đơn vị tính", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch (%)"])
    units = ["chuẩn/PTĐ", "chất chuẩn", "nhiệm vụ", "người", "doanh nghiệp", "phương tiện", "người"]
    for (row_id, plan, result), row, unit in zip(table_values(rng), campaign.outline.table.rows, units, strict=True):
        as_text = rng.random() < 0.3
        ws.append([
            int(row_id), row.label, unit,
            vn_number(plan) if as_text else plan,
            vn_number(result) if as_text else result,
            round(100 * result / plan, 1) if plan else None,
        ])
    ws.column_dimensions["B"].width = 70
    text = wb.create_sheet("Thuyết minh")
    text.append(["Mục", "Nội dung đề cương", "Kết quả thực hiện"])
    for s in campaign.outline.sections:
        text.append([s.id.replace("dd", "đ"), s.heading, section_text(s.id, rec.name, rng)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip archive of the given files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# --- mail ---------------------------------------------------------------------------------

SUBJECT = "V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn từ năm 2018 – 2025"


def mail(
    sender: str,
    subject: str,
    body: str,
    when: dt.datetime,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    to: str = OFFICE,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A message as an agency's mail client would write it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def bounce(to_addr: str, when: dt.datetime) -> bytes:
    """A delivery status notification for a reminder that could not be delivered."""
    msg = EmailMessage()
    msg["From"] = "Mail Delivery System <MAILER-DAEMON@mail.kontum.example>"
    msg["To"] = OFFICE
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="mail.kontum.example")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "This is the mail system at host mail.kontum.example.\n\nI'm sorry to have to inform you"
        f" that your message could not be delivered to one or more recipients.\n\n<{to_addr}>:"
        " host mail.kontum.example said: 550 5.1.1 User unknown"
    )
    status = EmailMessage()
    status.set_content(
        f"Reporting-MTA: dns; mail.kontum.example\n\nFinal-Recipient: rfc822; {to_addr}\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n"
    )
    msg.make_mixed()
    msg.attach(status)
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    return msg.as_bytes()


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=VN)


def demo_mails(
    campaign: Campaign, recipients: list[Recipient], thread: Mapping[str, str] | None = None
) -> list[DemoMail]:
    """About 25 replies, in the order they arrive (dates around the campaign's deadline).

    `thread` maps a recipient code to the Message-ID of the request it received: replies then
    carry In-Reply-To/References, as a mail client's "Reply" does.
    """
    by = {r.code: r for r in recipients}
    thread = thread or {}

    def replying(code: str) -> dict[str, str]:
        mid = thread.get(code)
        return {"In-Reply-To": mid, "References": mid} if mid else {}

    deadline = campaign.deadline
    d = lambda n: deadline - dt.timedelta(days=n)  # noqa: E731 — days before the deadline
    re_subject = f"Re: {SUBJECT}"
    mails: list[DemoMail] = []

    def add(note: str, raw: bytes, when: dt.datetime) -> None:
        mails.append(DemoMail(raw, when, note))

    def report(code: str, day: dt.date, hour: int, kind: str, seed: int, note: str, subject: str = re_subject) -> None:
        rec = by[code]
        when = _at(day, hour, seed % 60)
        if kind == "xlsx":
            att = ((f"Bao cao 996 - {rec.name}.xlsx", report_xlsx(campaign, rec, seed), XLSX),)
        elif kind == "zip":
            inner = report_docx(campaign, rec, day, "formal", seed)
            att = (("BaoCao_DeAn996.zip", zipped({f"Báo cáo Đề án 996 - {rec.name}.docx": inner}), "application/zip"),)
        else:
            att = ((f"Báo cáo sơ kết Đề án 996 - {rec.name}.docx", report_docx(campaign, rec, day, kind, seed), DOCX),)
        body = (
            f"Kính gửi Phòng TĐC - Sở Khoa học và Công nghệ,\n\n{rec.name} gửi báo cáo sơ kết"
            f" Đề án 996 giai đoạn 2018 – 2025 theo đề cương (đính kèm).\n\nTrân trọng,\nVăn thư {rec.name}"
        )
        headers = replying(code) if subject == re_subject else {}
        add(note, mail(f"{rec.name} <{rec.emails[0]}>", subject, body, when, att, headers=headers), when)

    report("sotc", d(9), 9, "formal", 11, "Báo cáo Word (mẫu trang trọng, có tiêu đề mục)")
    report("soct", d(8), 10, "compact", 12, "Báo cáo Word (đánh số 2.1.a, bảng rút gọn)")
    report("sokhdt" if "sokhdt" in by else "soxd", d(8), 15, "two-column", 13, "Báo cáo Word (bảng hai cột mục/nội dung)")
    report("sonnmt", d(7), 8, "xlsx", 14, "Báo cáo Excel (số liệu + thuyết minh)", subject=f"Báo cáo Đề án 996 - {by['sonnmt'].name}")
    report("ttkttdc", d(7), 14, "formal", 15, "Báo cáo Word của Trung tâm Kỹ thuật TĐC")
    report("bqlkkt", d(6), 9, "zip", 16, "Báo cáo Word nén trong tệp .zip")
    report("soyt", d(5), 16, "compact", 17, "Báo cáo Word (mẫu rút gọn)")
    report("dhpvd", d(4), 10, "two-column", 18, "Báo cáo Word dạng bảng")
    report("hhdn", d(3), 11, "xlsx", 19, "Báo cáo Excel của hiệp hội")
    report("sogddt", d(2), 9, "formal", 20, "Báo cáo Word")

    # Nil reports: in the body only, and as a short letter.
    for code, day, text in (
        ("thanhtra", d(8), "Thanh tra tỉnh không được giao nhiệm vụ tại Đề án 996 nên không có nội dung báo cáo."),
        ("congan", d(6), "Công an tỉnh xin thông báo: đơn vị không có nhiệm vụ liên quan đến Đề án 996, không phát sinh nội dung báo cáo."),
        ("hccb", d(3), "Hội Cựu chiến binh tỉnh không có hoạt động liên quan đến nội dung đề cương, đề nghị Sở tổng hợp."),
    ):
        rec = by[code]
        when = _at(day, 14, 20)
        add("Báo cáo không phát sinh (trong nội dung thư)",
            mail(f"{rec.name} <{rec.emails[0]}>", re_subject, f"Kính gửi Sở Khoa học và Công nghệ,\n\n{text}\n\nTrân trọng.",
                 when, headers=replying(code)), when)
    rec = by["sotp"]
    when = _at(d(5), 10, 5)
    add("Báo cáo không phát sinh (công văn Word đính kèm)",
        mail(f"{rec.name} <{rec.emails[0]}>", "Sở Tư pháp phúc đáp CV về Đề án 996", "Sở Tư pháp gửi công văn phúc đáp (đính kèm).",
             when, ((f"CV phuc dap 996 - {rec.name}.docx", nil_docx(rec, d(5)), DOCX),)), when)

    # Promises to send later.
    for code, day, text in (
        ("sonv", d(7), "Sở Nội vụ đã nhận được công văn, đang tổng hợp số liệu và sẽ gửi báo cáo sau."),
        ("mttq", d(4), "Đã nhận. Cơ quan sẽ gửi báo cáo sau do đang chờ số liệu từ các ban."),
    ):
        rec = by[code]
        when = _at(day, 8, 40)
        add("Hẹn gửi sau", mail(f"{rec.name} <{rec.emails[0]}>", re_subject, f"{text}\n\nTrân trọng.", when,
                                headers=replying(code)), when)

    # An auto-reply (out of office): recorded, never counted as an answer.
    rec = by["ldld"]
    when = _at(d(9), 9, 31)
    add("Thư trả lời tự động (vắng mặt)",
        mail(f"{rec.name} <{rec.emails[0]}>", f"Trả lời tự động: {SUBJECT}",
             "Tôi đang đi công tác đến hết ngày 12/8, sẽ phản hồi khi trở lại cơ quan.", when,
             headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}), when)

    # A bounce for the Kon Tum association's address.
    when = _at(d(9), 9, 2)
    add("Thư báo lỗi gửi (địa chỉ không tồn tại)", bounce(by["hhdnkt"].emails[0], when), when)

    # From a personal address, signed with the agency's name (attribution by content).
    rec = by["hnd"]
    when = _at(d(2), 20, 15)
    add("Gửi từ địa chỉ cá nhân, ký tên đơn vị",
        mail("Nguyễn Văn Hùng <hungnv.hnd@gmail.example>", f"Báo cáo 996 - {rec.name}",
             f"Em gửi báo cáo Đề án 996 của {rec.name} ạ. Do hộp thư cơ quan bị lỗi nên em gửi"
             f" bằng thư cá nhân.\n\nNguyễn Văn Hùng\nVăn phòng {rec.name}", when,
             ((f"Bao cao 996 {rec.name}.docx", report_docx(campaign, rec, d(2), "compact", 21), DOCX),)), when)

    # "Reply" from a personal address to the request the agency received (attribution by thread).
    rec = by["sodttg"]
    when = _at(d(1), 10, 12)
    add("Trả lời từ địa chỉ cá nhân vào đúng thư yêu cầu (nhận diện theo luồng thư)",
        mail("Phạm Thị Lan <lanpt.1985@gmail.example>", re_subject,
             "Dạ em gửi biểu số liệu và thuyết minh theo đề cương ạ.\n\nPhạm Thị Lan", when,
             (("bieu so lieu 996.xlsx", report_xlsx(campaign, rec, 26), XLSX),), headers=replying("sodttg")), when)

    # A corrected second version: the first is superseded.
    rec = by["sotc"]
    when = _at(d(1), 16, 45)
    add("Bản sửa đổi (thay bản trước)",
        mail(f"{rec.name} <{rec.emails[1] if len(rec.emails) > 1 else rec.emails[0]}>",
             f"Re: {SUBJECT} (bản sửa đổi)",
             "Sở Tài chính gửi lại báo cáo đã điều chỉnh số liệu mục II, đề nghị Sở thay thế bản gửi ngày trước.",
             when, ((f"Báo cáo sơ kết Đề án 996 - {rec.name} (sửa đổi).docx", report_docx(campaign, rec, d(1), "formal", 22), DOCX),)), when)

    # Late: after the deadline.
    report("hlhpn", deadline + dt.timedelta(days=3), 9, "xlsx", 23, "Nộp trễ hạn (sau ngày 15/8)")
    report("tinhdoan", deadline + dt.timedelta(days=4), 14, "compact", 24, "Nộp trễ hạn")

    # Nobody can tell who sent this: goes to the review queue.
    when = _at(d(3), 22, 10)
    add("Không xác định được đơn vị gửi (chờ xem xét)",
        mail("<baocao.donvi2025@gmail.example>", "gui bao cao", "Gửi anh chị file báo cáo ạ.", when,
             (("baocao.docx", report_docx(campaign, Recipient(code="x", name="Cơ quan", emails=("x@x",)), d(3), "compact", 25), DOCX),)), when)

    # Unrelated mail that arrives in the same mailbox.
    when = _at(d(6), 11, 0)
    add("Thư không liên quan đến chiến dịch",
        mail("Ban tổ chức hội thảo <hoithao@events.example>", "Thư mời tham dự hội thảo chuyển đổi số",
             "Trân trọng kính mời quý cơ quan tham dự hội thảo chuyển đổi số ngày 20/8.", when), when)
    return sorted(mails, key=lambda m: m.received)


def demo_files(campaign: Campaign, recipients: list[Recipient]) -> list[DemoFile]:
    """A few files staff or agencies put into the shared folder."""
    by = {r.code: r for r in recipients}
    deadline = campaign.deadline
    day = deadline - dt.timedelta(days=2)
    vh = by.get("sovhttdl") or recipients[0]
    bao = by.get("baoptth") or recipients[1]
    return [
        DemoFile(f"{vh.code}/Bao cao 996.docx", report_docx(campaign, vh, day, "formal", 31),
                 "Trong thư mục con mang mã đơn vị (đơn vị không có địa chỉ thư)"),
        DemoFile(f"Báo cáo Đề án 996 - {bao.name}.xlsx", report_xlsx(campaign, bao, 32),
                 "Tên tệp và nội dung nêu tên đơn vị"),
        DemoFile("~$Bao cao 996.docx", b"\x00lock", "Tệp khóa tạm của Word: bỏ qua"),
    ]
