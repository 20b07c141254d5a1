"""styles.xml read without parsing the whole sheet (parsers/docx_styles.py): the same `Doc` as a
full parse, the full parse whenever the bytes' layout is not a plain one, and python-docx's own
error for a damaged sheet."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest

from parsers import docx_reader
from parsers.docx_reader import read_docx
from parsers.docx_styles import open_document, raw_styles, style_sheet, well_formed
from parsers.errors import CorruptFile

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "tests/fixtures/formats/bao-cao.docx", ROOT / "tests/fixtures/formats/bao-cao-lo.docx"]
RT_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
BOLD_NORMAL = b'<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/><w:rPr><w:b/></w:rPr></w:style>'


def rewrite(data: bytes, part: str, change) -> bytes:  # noqa: ANN001
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, change(body) if name == part else body)
    return out.getvalue()


def styles(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml")


def whole_sheet_read(data: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    """The `Doc` as read with the whole sheet parsed (the path taken when the bytes are unsure)."""
    with monkeypatch.context() as m:
        m.setattr(docx_reader, "style_sheet", lambda blob: None)
        return repr(read_docx(data))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_sheet_is_not_parsed_and_the_doc_is_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    document = open_document(io.BytesIO(data))
    part = document.part.part_related_by(RT_STYLES)
    assert raw_styles(part) == styles(data) and part._parsed is None
    docx_reader._Reader(document).read()
    assert part._parsed is None  # the reader used the few styles it needs, cut out of the bytes
    sheet = style_sheet(styles(data))
    assert sheet is not None and len(sheet.spans) > 150 and sheet.style("Normal") is not None
    assert repr(read_docx(data)) == whole_sheet_read(data, monkeypatch)
    # python-docx's API still works on the package opened this way (parsed when asked).
    assert document.styles["Normal"].name == "Normal" and part._parsed is not None


def _first_style(change):  # noqa: ANN001, ANN202
    return lambda b: b.replace(b"<w:style ", change + b"<w:style ", 1)


# Layouts the byte-level reading does not vouch for: each must take the whole-sheet path and
# read the document exactly as the untouched file (the change means nothing to Word).
UNSURE = {
    "comment": _first_style(b"<!-- </w:style> -->"),
    "cdata": lambda b: b.replace(b"<w:name ", b"<w:name ", 1).replace(b"</w:styles>", b"<![CDATA[x]]></w:styles>"),
    "processing instruction": _first_style(b"<?x </w:style>?>"),
    "single quotes": lambda b: b.replace(b'w:styleId="Normal"', b"w:styleId='Normal'"),
    "character reference in an id": lambda b: b.replace(b'w:styleId="Normal"', b'w:styleId="Norm&#97;l"'),
    "line break in an id": lambda b: b.replace(b'w:styleId="TableGrid"', b'w:styleId="Table&#10;Grid"'),
    "another prefix for the namespace": lambda b: b.replace(
        b"<w:styles ", b'<w:styles xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ', 1
    ),
    "w rebound on a style": lambda b: b.replace(
        b'<w:style w:type="paragraph" w:styleId="Normal"',
        b'<w:style xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        b' w:type="paragraph" w:styleId="Normal"',
    ),
    "utf-16": lambda b: b.decode("utf-8").replace("UTF-8", "UTF-16").encode("utf-16"),
    "latin-1 declared": lambda b: b.replace(b"encoding='UTF-8'", b"encoding='ISO-8859-1'").replace(
        b'encoding="UTF-8"', b'encoding="ISO-8859-1"'
    ),
    "text between styles": _first_style(b"x"),
}
SAME_MEANING = set(UNSURE) - {"line break in an id", "character reference in an id"}


@pytest.mark.parametrize("name", sorted(UNSURE))
def test_layouts_it_cannot_vouch_for_are_parsed_whole(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = FILES[1].read_bytes()
    changed = rewrite(data, "word/styles.xml", UNSURE[name])
    sheet = styles(changed)
    assert sheet != styles(data) and well_formed(sheet)
    assert style_sheet(sheet) is None
    assert repr(read_docx(changed)) == whole_sheet_read(changed, monkeypatch)
    if name in SAME_MEANING:
        assert repr(read_docx(changed)) == repr(read_docx(data))


def test_a_style_below_the_root_is_no_style_of_the_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """`w:style` elements count as children of `w:styles` only (inside latentStyles: ignored),
    in the bytes as in the tree."""
    data = FILES[1].read_bytes()
    inside = b'<w:style w:type="paragraph" w:styleId="Normal"><w:rPr><w:b/></w:rPr></w:style></w:latentStyles>'
    changed = rewrite(data, "word/styles.xml", lambda b: b.replace(b"</w:latentStyles>", inside, 1))
    assert styles(changed) != styles(data) and style_sheet(styles(changed)) is not None
    assert repr(read_docx(changed)) == whole_sheet_read(changed, monkeypatch) == repr(read_docx(data))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_duplicated_id_the_last_wins(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    changed = rewrite(data, "word/styles.xml", lambda b: b.replace(b"</w:styles>", BOLD_NORMAL + b"</w:styles>"))
    assert style_sheet(styles(changed)) is not None
    got = read_docx(changed)
    assert repr(got) == whole_sheet_read(changed, monkeypatch) != repr(read_docx(data))
    assert all(block.bold for block in got.paragraphs if block.text)


def test_the_last_default_paragraph_style_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    data = FILES[0].read_bytes()  # (written by python-docx: its paragraphs name no style)
    body = b'<w:style w:type="paragraph" w:default="1" w:styleId="Body"><w:name w:val="Body"/><w:rPr><w:b/></w:rPr></w:style>'
    changed = rewrite(data, "word/styles.xml", lambda b: b.replace(b"</w:styles>", body + b"</w:styles>"))
    assert style_sheet(styles(changed)) is not None
    got = read_docx(changed)
    assert repr(got) == whole_sheet_read(changed, monkeypatch) != repr(read_docx(data))


def _message(data: bytes) -> str:
    """What the reader said before: python-docx's own open, its error in the same words."""
    try:
        docx.Document(io.BytesIO(data))
    except (ValueError, docx.opc.exceptions.PackageNotFoundError, KeyError) as err:
        text = str(err)
    except Exception as err:  # noqa: BLE001 - lxml's XMLSyntaxError
        text = str(err)
    else:
        raise AssertionError("python-docx opened it")
    return re.sub(r"0x[0-9a-f]+", "0x…", text)


DAMAGED = {
    "two colons in a tag": lambda b: b.replace(b"<w:b/>", b"<w:w:b/>", 1),
    "unbound prefix": lambda b: b.replace(b"<w:b/>", b"<q:b/>", 1),
    "cut short": lambda b: b[: len(b) * 2 // 3],
    "undefined entity": lambda b: b.replace(b'w:val="Normal"', b'w:val="&nope;"', 1),
    "mismatched end tag": lambda b: b.replace(b"</w:style>", b"</w:styl>", 1),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_sheet_is_refused_with_python_docx_s_error(name: str) -> None:
    changed = rewrite(FILES[1].read_bytes(), "word/styles.xml", DAMAGED[name])
    assert not well_formed(styles(changed))
    expected = _message(changed)
    with pytest.raises(CorruptFile) as caught:
        read_docx(changed)
    assert re.sub(r"0x[0-9a-f]+", "0x…", str(caught.value)) == f"Tệp Word (.docx) không đọc được: {expected}."


def test_a_macro_document_is_refused_as_before() -> None:
    main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    macro = b"application/vnd.ms-word.document.macroEnabled.main+xml"
    changed = rewrite(FILES[0].read_bytes(), "[Content_Types].xml", lambda b: b.replace(main, macro))
    with pytest.raises(CorruptFile) as caught:
        read_docx(changed)
    message = re.sub(r"0x[0-9a-f]+", "0x…", str(caught.value))
    assert message == f"Tệp Word (.docx) không đọc được: {_message(changed)}." and "is not a Word file" in message
