"""Footnotes and endnotes of a Word report: kept with the block that carries their mark."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.document import Para, Table
from parsers.docx_reader import read_docx
from parsers.interpret import interpret

GENERATOR = Path(__file__).resolve().parents[1] / "fixtures" / "make_docx_fixtures.py"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "campaigns"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ENDNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
ENDNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"


@pytest.fixture(scope="module")
def g():
    """The fixture generator's WordprocessingML helpers (package, p, run …)."""
    spec = importlib.util.spec_from_file_location("make_docx_fixtures_notes", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _with_endnotes(data: bytes, notes: list[str]) -> bytes:
    """Add a word/endnotes.xml part (and its relationship and content type) to a package."""
    body = "".join(
        f'<w:endnote w:id="{i + 1}"><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:endnote>' for i, t in enumerate(notes)
    )
    part = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:endnotes xmlns:w="{W_NS}">'
        '<w:endnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:endnote>'
        f"{body}</w:endnotes>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            text = src.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                text = text.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rId20" Type="{ENDNOTES_REL}" Target="endnotes.xml"/></Relationships>'.encode(),
                )
            elif item.filename == "[Content_Types].xml":
                text = text.replace(
                    b"</Types>", f'<Override PartName="/word/endnotes.xml" ContentType="{ENDNOTES_CT}"/></Types>'.encode()
                )
            dst.writestr(item, text)
        dst.writestr("word/endnotes.xml", part.encode("utf-8"))
    return out.getvalue()


def _ref(kind: str, n: int) -> str:
    return f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Reference w:id="{n}"/></w:r>'


def test_notes_follow_the_block_with_their_mark(g) -> None:
    body = (
        g.p(g.run("Đoạn đầu không có chú thích."))
        + f'<w:p><w:r><w:t>Sở đã ban hành Kế hoạch.</w:t></w:r>{_ref("footnote", 2)}</w:p>'
        + g.p(g.run("Đoạn giữa."))
        + '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Hội nghị</w:t></w:r></w:p></w:tc>'
        f'<w:tc><w:p><w:r><w:t>06</w:t></w:r>{_ref("footnote", 1)}</w:p></w:tc></w:tr></w:tbl>'
        + f'<w:p><w:r><w:t>Đoạn có chú thích cuối văn bản.</w:t></w:r>{_ref("endnote", 1)}</w:p>'
        + g.p(g.run("Đoạn cuối."))
    )
    data = g.package(body, footnotes=["Gồm Lý Sơn, Sơn Tịnh.", "Kế hoạch số 45/KH-SVHTTDL.", "Không được đánh dấu."])
    doc = read_docx(_with_endnotes(data, ["Số liệu đến 30/6/2025."]))
    shown = [b.text if isinstance(b, Para) else ("bảng", b.rows[0][1]) for b in doc.blocks]
    assert shown == [
        "Đoạn đầu không có chú thích.",
        "Sở đã ban hành Kế hoạch.",
        "(chú thích: Kế hoạch số 45/KH-SVHTTDL.)",
        "Đoạn giữa.",
        ("bảng", "06"),  # the mark is not part of the cell's number
        "(chú thích: Gồm Lý Sơn, Sơn Tịnh.)",
        "Đoạn có chú thích cuối văn bản.",
        "(chú thích: Số liệu đến 30/6/2025.)",
        "Đoạn cuối.",
        "(chú thích: Không được đánh dấu.)",  # a note without a mark is kept, at the end
    ]
    assert isinstance(doc.blocks[4], Table)
    assert doc.footnotes == []  # all placed: nothing left for extra_text


def test_footnote_lands_in_the_section_of_its_mark(g, monkeypatch) -> None:
    spec = outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))
    report = g.Report("n", None, "UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ", "SYT", "12/BC-SYT", "2025-08-11",
                      answers=g.answers_for("Sở Y tế", "SYT"))
    target = report.answer("1.a")[0]
    split_runs, package = g.split_runs, g.package

    def marked(text: str, **kw) -> str:
        return split_runs(text, **kw) + (_ref("footnote", 1) if text == target else "")

    monkeypatch.setattr(g, "split_runs", marked)
    monkeypatch.setattr(g, "package", lambda body, **kw: package(body, footnotes=["Kế hoạch số 45/KH-SYT."], **kw))
    result = interpret(read_docx(g.raw_autonumbered(report)), spec, file="n.docx", fmt="docx")
    text = result.sections["1.a"].text
    # Right after the marked paragraph, before the section's next paragraph.
    assert f"{' '.join(target.split())} (chú thích: Kế hoạch số 45/KH-SYT.) {report.answer('1.a')[1][:10]}" in text
    others = [s.text for sid, s in result.sections.items() if sid != "1.a"]
    assert not any("chú thích" in t for t in [*others, result.extra_text])
    assert "Kế hoạch số 45" not in result.sections["1.b"].text


def test_unplaced_notes_go_to_extra_text(g) -> None:
    spec = outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))
    doc = read_docx(g.package(g.p(g.run("Báo cáo ngắn."))))
    doc.footnotes = ["Ghi chú của trang PDF."]  # what the PDF reader leaves unplaced
    result = interpret(doc, spec, file="x.pdf", fmt="pdf")
    assert "(chú thích: Ghi chú của trang PDF.)" in result.extra_text


def test_a_note_on_a_heading_is_not_taken_for_its_answer(g) -> None:
    spec = outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))
    body = (
        g.p(g.run("I. KẾT QUẢ THỰC HIỆN", bold=True))
        + f'<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>1. Công tác chỉ đạo</w:t></w:r>{_ref("footnote", 1)}</w:p>'
        + g.p(g.run("Đã ban hành kế hoạch."))
    )
    doc = read_docx(g.package(body, footnotes=["Theo Kế hoạch số 45/KH-UBND."]))
    assert [b.text for b in doc.paragraphs] == ["I. KẾT QUẢ THỰC HIỆN", "1. Công tác chỉ đạo", "Đã ban hành kế hoạch."]
    assert doc.footnotes == ["Theo Kế hoạch số 45/KH-UBND."]
    result = interpret(doc, spec, file="x.docx", fmt="docx")
    assert "(chú thích: Theo Kế hoạch số 45/KH-UBND.)" in result.extra_text
    assert not any("Kế hoạch số 45" in s.text for s in result.sections.values())
