"""The blind corpus of 8 Dec 2026 (tests/fixtures/blind-8dec): replies written by a tester who
had not read the parser, with the expected extraction written before any run. Every figure of
the key is read as the key says, or its row carries a problem (doubt visible); the report for
another period is flagged and an unrelated letter is not a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec, ParseResult

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fixtures/blind-8dec"
KEY = json.loads((CORPUS / "key.json").read_text(encoding="utf-8"))
FILES = sorted(name for name in KEY if (CORPUS / name).exists())


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _parse(name: str, spec: OutlineSpec) -> ParseResult:
    return parse_bytes((CORPUS / name).read_bytes(), name, spec)


def test_the_corpus_is_here() -> None:
    assert len(FILES) == 13, FILES  # the 14 of the key but the mail-body report


@pytest.mark.parametrize("name", [n for n in FILES if KEY[n].get("rows")])
def test_every_figure_is_read_or_its_row_flagged(spec: OutlineSpec, name: str) -> None:
    parsed = _parse(name, spec)
    assert parsed.error is None, parsed.error
    flagged = {p.where for p in parsed.problems} | {p.message for p in parsed.problems}
    silent = []
    for rid, want in KEY[name]["rows"].items():
        ind = parsed.indicators.get(rid)
        got = (ind.plan, ind.result, ind.rate) if ind is not None else (None, None, None)
        for column, a, b in zip(("plan", "result", "rate"), want, got, strict=True):
            same = a == b or (a is not None and b is not None and abs(a - b) < 0.06)
            if not same and not any(f"dòng {rid}" in text for text in flagged if text):
                silent.append(f"row {rid} {column}: want {a}, got {b}")
    assert silent == []


def test_a_report_for_another_year_is_flagged(spec: OutlineSpec) -> None:
    parsed = _parse("SVHTTDL BC 2023.docx", spec)
    assert "wrong_period" in {p.code for p in parsed.problems}


def test_a_report_for_the_asked_period_is_not(spec: OutlineSpec) -> None:
    parsed = _parse("BC so 215 - De an 996.docx", spec)
    assert "wrong_period" not in {p.code for p in parsed.problems}


def test_the_unrelated_letter_is_not_a_report(spec: OutlineSpec) -> None:
    assert _parse("CV 455 STP.docx", spec).kind != "report"


def test_the_signature_and_the_appendix_title_stay_out_of_the_last_section(spec: OutlineSpec) -> None:
    section = _parse("DH PVD bao cao + phu luc.docx", spec).sections["2.5.a"]
    assert section.text.rstrip().endswith("(PVD-HT).")
    assert "HIỆU TRƯỞNG" not in section.text and "PHỤ LỤC" not in section.text
