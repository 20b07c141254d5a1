"""Workbooks and headers that make the libraries raise: read what is good, or say what is bad
(a typed problem), never a crash of the batch."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.mail import parse_mail
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "tests" / "fixtures" / "formats" / "bao-cao-excel.xlsx"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def rewrite(data: bytes, part: str, change) -> bytes:
    """The workbook with one XML part changed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, change(body) if re.fullmatch(part, name) else body)
    return out.getvalue()


def figures(result) -> list[tuple[str, object, object]]:
    return sorted((k, v.plan, v.result) for k, v in result.indicators.items())


def test_cells_with_an_empty_style_attribute_are_read(spec: OutlineSpec) -> None:
    data = WORKBOOK.read_bytes()
    broken = rewrite(data, r"xl/worksheets/sheet\d+\.xml", lambda b: re.sub(rb' s="\d+"', b' s=""', b))
    assert broken != data and b' s=""' in zipfile.ZipFile(io.BytesIO(broken)).read("xl/worksheets/sheet1.xml")
    good, odd = parse_bytes(data, "a.xlsx", spec), parse_bytes(broken, "a.xlsx", spec)
    assert odd.error is None and odd.kind == good.kind
    assert figures(odd) == figures(good) and figures(good)


def test_a_style_table_pointing_nowhere_is_a_typed_problem(spec: OutlineSpec) -> None:
    broken = rewrite(WORKBOOK.read_bytes(), r"xl/styles\.xml", lambda b: re.sub(rb'fontId="\d+"', b'fontId=""', b))
    result = parse_bytes(broken, "a.xlsx", spec)
    assert result.error is not None and result.error.code == "corrupt_file"
    assert "gửi lại" in result.error.message


def test_unlisted_recipients_group_header() -> None:
    raw = (
        b"From: =?utf-8?b?U+G7nyBUxrAgcGjDoXA=?= <sotp@quangngai.example>\r\n"
        b"To: unlisted-recipients:; (no To-header on input)\r\n"
        b"Cc: undisclosed-recipients:;, tdc@skhcn.quangngai.example\r\n"
        b"Subject: Bao cao\r\nMessage-ID: <g@x>\r\n\r\nKinh gui\r\n"
    )
    mail = parse_mail(raw)
    assert mail.from_addr == "sotp@quangngai.example" and mail.to == []
    assert mail.cc == ["tdc@skhcn.quangngai.example"]
