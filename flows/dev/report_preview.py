"""Sample data for the consolidated report, rendering to PDF with LibreOffice, and the page-1
PNG in docs/ (`python -m flows.dev.report_preview` regenerates `docs/report-page1.png`).

The sample agencies are synthetic but shaped like real answers (prose, stock answers such as
`Không có.`, nil reports, promises, silence, late replies); the benchmark uses them too.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from config.campaign import Campaign, load_campaigns
from config.recipients import read_recipients
from flows.errors import FlowsError
from reports.consolidate import AgencyReport, Figures, ProblemNote, ReviewNote, consolidate
from reports.word import TEMPLATE, render_word

ROOT = Path(__file__).resolve().parents[2]
PREVIEW_PNG = ROOT / "docs" / "report-page1.png"
PROSE = (
    "Đã ban hành Kế hoạch triển khai thực hiện Đề án 996 trên địa bàn; phân công phòng chuyên môn "
    "theo dõi, đôn đốc thực hiện và lồng ghép với nhiệm vụ chuyên môn hằng năm.",
    "Phối hợp với Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng tổ chức {n} lớp tập huấn "
    "cho {m} lượt cán bộ, doanh nghiệp về đo lường và Chương trình bảo đảm đo lường.",
    "Tổ chức kiểm tra nhà nước về đo lường đối với {n} cơ sở kinh doanh xăng dầu, vàng trang sức; "
    "phát hiện và xử lý {m} trường hợp vi phạm.",
    "Đăng {n} tin, bài tuyên truyền trên cổng thông tin điện tử và các phương tiện thông tin đại chúng.",
)
STOCK = ("Không có.", "Không phát sinh.", "Không có")


class ToolMissing(FlowsError, RuntimeError):
    """LibreOffice or poppler is not installed; the message names the apt package."""


STATES = ("submitted", "submitted", "submitted", "nil_report", "acknowledged", "not_responded")


def sample_agencies(
    campaign: Campaign,
    names: list[tuple[str, str]],
    seed: int = 996,
    states: tuple[str, ...] = STATES,
) -> list[AgencyReport]:
    """Deterministic synthetic reports for the given (code, name) pairs (states cycle)."""
    rng = random.Random(seed)
    deadline = campaign.deadline_at
    out = []
    for i, (code, name) in enumerate(names):
        state = states[i % len(states)]
        late = state in ("submitted", "nil_report") and i % 5 == 0
        received = deadline + dt.timedelta(days=2 if late else -3, hours=i % 7)
        if state == "submitted":
            sections = {
                s.id: (rng.choice(STOCK) if rng.random() < 0.35 else _prose(rng)) if rng.random() < 0.9 else ""
                for s in campaign.outline.sections
            }
            figures = {
                r.id: Figures(plan := float(rng.randint(1, 60) * 10), float(rng.randint(0, int(plan))), None)
                for r in campaign.outline.table.rows
                if rng.random() < 0.85
            }
        else:
            sections, figures = {}, {}
        out.append(
            AgencyReport(
                code=code,
                name=name,
                state=state,
                late=late,
                received_at=received if state != "not_responded" else None,
                channel="email" if i % 4 else "folder",
                files=(f"BC-996-{code}.docx",) if state == "submitted" else (),
                sections=sections,
                figures=figures,
                extra_text="Đề nghị Sở Khoa học và Công nghệ tiếp tục tổ chức tập huấn về đo lường."
                if state == "submitted" and i % 3 == 0
                else "",
                problems=(ProblemNote("rate_mismatch", "Tỷ lệ ghi trong báo cáo khác tỷ lệ tính lại", "bảng, dòng 2"),)
                if state == "submitted" and i % 11 == 1
                else (),
                doc_number=f"{100 + i}/BC-{code.upper()}" if state == "submitted" else None,
            )
        )
    return out


def _prose(rng: random.Random) -> str:
    picks = rng.sample(PROSE, k=rng.randint(1, 2))
    return "\n".join(p.format(n=rng.randint(2, 12), m=rng.randint(10, 300)) for p in picks)


def docx_to_pdf(docx: Path, out_dir: Path) -> Path:
    """Convert with LibreOffice headless, with its own profile (parallel runs stay safe)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise ToolMissing("cần LibreOffice: apt-get install -y libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="baocao-lo-") as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
            check=True, capture_output=True, timeout=300,
        )
    pdf = out_dir / (docx.stem + ".pdf")
    if not pdf.is_file():
        raise RuntimeError(f"LibreOffice không tạo được {pdf.name}")
    return pdf


def pdf_page_png(pdf: Path, target: Path, page: int = 1, dpi: int = 80) -> Path:
    """One page of a PDF as PNG (poppler's pdftoppm)."""
    if not shutil.which("pdftoppm"):
        raise ToolMissing("cần pdftoppm: apt-get install -y poppler-utils")
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)],
        check=True, capture_output=True, timeout=120,
    )
    return target


def main() -> int:
    """Render the sample report for the project's campaign and write docs/report-page1.png."""
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    names = [(r.code, r.name) for r in read_recipients(campaign.recipients_path)]
    as_of = dt.datetime.combine(campaign.deadline + dt.timedelta(days=3), dt.time(17), tzinfo=campaign.tz)
    model = consolidate(
        campaign, sample_agencies(campaign, names), [ReviewNote(1, "mail:7", "Không rõ đơn vị gửi")], as_of=as_of
    )
    with tempfile.TemporaryDirectory(prefix="baocao-preview-") as tmp:
        docx = Path(tmp) / "bao-cao-tong-hop.docx"
        docx.write_bytes(render_word(model, TEMPLATE.read_bytes()))
        pdf = docx_to_pdf(docx, Path(tmp))
        pdf_page_png(pdf, PREVIEW_PNG)
    sys.stdout.write(f"{PREVIEW_PNG}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
