"""A digitally signed PDF dropped into the shared folder: its signature facts are stored on the
document row and show in the consolidated report's response table (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SXD = "Sở Xây dựng tỉnh Quảng Ngãi"


def test_signature_facts_stored_and_shown(app, tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from sqlalchemy import select

    from flows.dev.sign_fixtures import make_ca, make_signer, sign
    from flows.intake.folder import ingest_folder
    from flows.report import build_report
    from storage.models import Document

    ca = make_ca()
    trust = tmp_path / "tin-cay"
    trust.mkdir()
    (trust / "ca-thu-nghiem.pem").write_bytes(ca.pem)
    drop = tmp_path / "chung"
    drop.mkdir()
    app.settings.drop.dir, app.settings.trust_dir = drop, trust
    signed = sign((ROOT / "tests/fixtures/formats/bao-cao.pdf").read_bytes(), make_signer(ca, cn="Nguyễn Văn Dũng", o=SXD), ca)
    target = drop / "BC 996 So Xay dung (ky so).pdf"
    target.write_bytes(signed)
    st = target.stat()
    os.utime(target, (st.st_atime - 600, st.st_mtime - 600))
    ingest_folder(app)
    ingest_folder(app)
    with app.session() as session:
        doc = session.scalars(select(Document).where(Document.filename.like("%ky so%"))).one()
        assert doc.signatures and doc.signatures[0]["signer_o"] == SXD and doc.signatures[0]["trusted"] is True
        assert doc.ocr is None
    summary = doc.signatures[0]["summary"]
    assert summary.startswith(f"Đã ký số bởi Nguyễn Văn Dũng ({SXD}) lúc ")
    built = build_report(app)
    xlsx = next(Path(p) for p in built["files"] if str(p).endswith(".xlsx"))
    wb = load_workbook(xlsx, read_only=True)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    wb.close()
    assert summary in cells


def test_staff_upload_reads_signatures_with_the_trust_folder_configured(app, tmp_path: Path) -> None:
    """An upload from the web workspace is parsed with the configured trust roots (the trust
    folder was once passed where the time budget goes, and every upload then failed)."""
    from flows.app import outline_spec
    from flows.dev.sign_fixtures import make_ca, make_signer, sign
    from flows.web.actions import _parse_upload

    ca = make_ca()
    trust = tmp_path / "tin-cay"
    trust.mkdir()
    (trust / "ca-thu-nghiem.pem").write_bytes(ca.pem)
    app.settings.trust_dir = trust
    signed = sign((ROOT / "tests/fixtures/formats/bao-cao.pdf").read_bytes(), make_signer(ca, cn="Nguyễn Văn Dũng", o=SXD), ca)
    result = _parse_upload(app, signed, "bao-cao-ky-so.pdf", outline_spec(app.campaign()))
    assert result is not None
    assert [s.trusted for s in result.signatures] == [True]
