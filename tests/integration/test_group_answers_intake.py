"""A report answering sections with a group answer (blind corpus 7/12, c07/c24) from the shared
folder to the users: the sections it covers are stored as answered by the group (part
"by_group"), not missing; status shows them apart ("answered_by_group"); a reminder never asks
for them; the Word report and the «Nội dung» sheet show the text under each section it covers,
marked as a shared answer. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
from pathlib import Path

GROUP_TEXT = "Sở đã ban hành Kế hoạch số 27/KH-SYT triển khai Đề án 996. Ban hành 18 văn bản chỉ đạo."
JOINT_TEXT = "Lồng ghép tuyên truyền Đề án 996 tại 7 hội nghị. Đăng 12 tin, bài trên Cổng thông tin điện tử."


def _report() -> bytes:
    from docx import Document

    doc = Document()
    for line in ("UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ", "Số: 41/BC-SYT", "Quảng Ngãi, ngày 10 tháng 8 năm 2025", "BÁO CÁO",
                 "Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025",
                 "1. Công tác lãnh đạo, chỉ đạo", GROUP_TEXT,
                 "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác: Không có.",
                 "2. Kết quả thực hiện các nhiệm vụ, giải pháp",
                 "5. Công tác truyền thông thông tin, tuyên truyền chính sách, pháp luật",
                 f"- Về tuyên truyền tại hội nghị, hội thảo và đưa tin, viết bài trên phương tiện thông tin: {JOINT_TEXT}",
                 "Nơi nhận:\n- Sở KH&CN;\n- Lưu: VT.", "GIÁM ĐỐC", "Nguyễn Văn An"):
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()



def test_group_answers_reach_status_reminders_and_the_report(drop_app):
    import docx
    import openpyxl
    from sqlalchemy import select

    from flows.app import status_report
    from flows.intake.folder import ingest_folder
    from flows.outbound.reminders import remind
    from flows.report import build_report
    from storage.models import RecipientRow, SectionAnswer, Submission

    root = drop_app.settings.drop.dir
    (root / "soyt").mkdir()
    path = root / "soyt" / "BC 996.docx"
    path.write_bytes(_report())
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))
    ingest_folder(drop_app)
    ingest_folder(drop_app)

    covered = {"1.a": "1", "1.b": "1", "2.5.a": "2.5.a+2.5.b", "2.5.b": "2.5.a+2.5.b"}
    with drop_app.session() as s:
        sub = s.scalars(select(Submission).join(RecipientRow, RecipientRow.id == Submission.recipient_id)
                        .where(RecipientRow.code == "soyt")).one()
        parts = {a.section_id: (a.part, a.text) for a in s.scalars(select(SectionAnswer).where(SectionAnswer.submission_id == sub.id))}
        missing = list(sub.missing_sections)
    assert not set(covered) & set(missing) and "2.1.a" in missing
    for sid, key in covered.items():
        assert parts[sid] == ("by_group", GROUP_TEXT if key == "1" else JOINT_TEXT), sid
        assert parts[key][0] == "group"
    assert parts["1.c"][0] == "section"

    soyt = {r["id"]: r for r in status_report(drop_app)["recipients"]}["soyt"]
    assert soyt["state"] == "submitted"
    assert sorted(soyt["answered_by_group"]) == sorted(covered)
    assert not set(covered) & set(soyt["incomplete"])
    from flows.web.workspace import board

    (row,) = [r for r in board(drop_app)["rows"] if r.code == "soyt"]
    assert sorted(row.by_group) == sorted(covered) and not set(covered) & set(row.incomplete)

    (reminder,) = remind(drop_app, dry_run=True, manual=True, only={"soyt"})["would_send"]
    assert reminder["kind"] == "reminder_incomplete" and "Mục 2.1.a:" in reminder["text"]
    assert not any(f"Mục {sid}:" in reminder["text"] for sid in covered)

    report = build_report(drop_app)
    folder = Path(report["dir"])
    xlsx = next(folder / f for f in report["files"] if str(f).endswith(".xlsx"))
    sheet = openpyxl.load_workbook(xlsx)["Nội dung"]
    rows = {(r[0], r[2]): r[4] for r in sheet.iter_rows(values_only=True) if r and r[0] == "soyt"}
    for sid, key in covered.items():
        text = rows[("soyt", sid)]
        assert (GROUP_TEXT if key == "1" else JOINT_TEXT) in text, (sid, text)
        others = [s for s, k in covered.items() if k == key]
        assert text.startswith(f"[Trả lời chung cho các mục {', '.join(others)}]"), text
    word = next(folder / f for f in report["files"] if str(f).endswith(".docx"))
    body = "\n".join(p.text for p in docx.Document(word).paragraphs)
    cells = "\n".join(c.text for t in docx.Document(word).tables for row in t.rows for c in row.cells)
    assert "Kế hoạch số 27/KH-SYT" in body + cells and "Đăng 12 tin, bài" in body + cells
    assert "Trả lời chung cho các mục 1.a, 1.b" in body + cells
