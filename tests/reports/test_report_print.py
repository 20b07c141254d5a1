"""The consolidated workbook prints like the form sent to agencies: A4 landscape, the columns
on the page's width, the header row repeated, on every sheet (rendered by LibreOffice)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pdfplumber
from openpyxl import load_workbook

from config.campaign import load_campaigns
from flows.dev.report_preview import sample_agencies
from reports.consolidate import consolidate
from reports.excel import render_excel

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)


def _workbook(tmp_path: Path) -> Path:
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    names = [(f"dv{i}", f"Sở thử nghiệm số {i}") for i in range(28)]
    model = consolidate(campaign, sample_agencies(campaign, names, states=("submitted",)), [], as_of=AS_OF)
    out = tmp_path / "tong-hop.xlsx"
    out.write_bytes(render_excel(model))
    return out


def test_every_sheet_has_a_print_setup(tmp_path: Path) -> None:
    wb = load_workbook(_workbook(tmp_path))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1, ws.title
        assert int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.print_title_rows == "$4:$4", ws.title


def test_libreoffice_prints_the_totals_on_few_landscape_pages(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed on every test machine (README)"
    xlsx = _workbook(tmp_path)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(xlsx)], check=True, capture_output=True, timeout=300)
    with pdfplumber.open(tmp_path / "tong-hop.pdf") as pdf:
        first, pages = pdf.pages[0], len(pdf.pages)
        assert first.width > first.height  # landscape
        # Page 1 holds every column of «Tổng hợp» (the last one is the rate), not just TT and Nhóm.
        text = first.extract_text()
    assert "Tỷ lệ" in text and "Kết quả" in text
    assert pages < 30
