"""Word reading and the outline matcher over the fixture corpus (tests/fixtures/docx).

Each fixture comes with the truth its generator put in it (`<name>.expected.json`); the corpus
test compares `interpret(read_docx(...))` with it and prints per-field accuracy.
Regenerate with `BAOCAO_REGENERATE_FIXTURES=1 pytest tests/test_parsers_docx.py` (refused in CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.docx_reader import read_docx
from parsers.errors import CorruptFile
from parsers.interpret import interpret
from parsers.model import OutlineSpec
from parsers.textnorm import fold_words

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docx"
GENERATOR = Path(__file__).resolve().parents[1] / "fixtures" / "make_docx_fixtures.py"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "campaigns"
NAMES = sorted(p.name[: -len(".expected.json")] for p in FIXTURES.glob("*.expected.json"))
REGENERATE = os.environ.get("BAOCAO_REGENERATE_FIXTURES") == "1"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))


def _parse(name: str, spec: OutlineSpec) -> dict:
    data = (FIXTURES / f"{name}.docx").read_bytes()
    return interpret(read_docx(data), spec, file=f"{name}.docx", fmt="docx").to_json()


def _expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def test_corpus_is_big_and_varied() -> None:
    made = [_expected(n)["made_with"] for n in NAMES]
    kinds = {_expected(n)["kind"] for n in NAMES}
    assert len(NAMES) >= 20
    assert made.count("libreoffice") >= 3 and made.count("xml") >= 5
    assert kinds == {"report", "nil_report", "not_a_report"}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_matches_expected(name: str, spec: OutlineSpec) -> None:
    got, want = _parse(name, spec), _expected(name)
    assert got["kind"] == want["kind"]
    assert got["agency"]["id"] == want["agency"]["id"]
    if want["agency"]["id"] is None:
        assert fold_words(got["agency"]["name"] or "") == fold_words(want["agency"]["name"] or "")
    assert (got["doc_number"], got["doc_date"]) == (want["doc_number"], want["doc_date"])
    assert set(got["sections"]) == set(want["sections"])
    for sid, section in want["sections"].items():
        # The expected files hold the reader-visible fields; provenance fields come on top.
        assert {k: got["sections"][sid][k] for k in section} == section, sid
        # Nothing is counted twice: an answer is not also "text that fits no section".
        if section["text"]:
            assert section["text"] not in got["extra_text"], sid
    # The header block, the addressee, the "Nơi nhận" list and the signature are not leftovers.
    for boilerplate in ("Nơi nhận", "Kính gửi", "CỘNG HÒA", "Độc lập - Tự do", "GIÁM ĐỐC", "CHỦ TỊCH"):
        assert boilerplate not in got["extra_text"], boilerplate


def test_corpus_accuracy(spec: OutlineSpec, capsys: pytest.CaptureFixture[str]) -> None:
    """Per-field accuracy over the whole corpus, against the targets of issue 3."""
    hits: dict[str, list[int]] = {}

    def count(field: str, ok: bool) -> None:
        hits.setdefault(field, [0, 0])
        hits[field][0] += ok
        hits[field][1] += 1

    for name in NAMES:
        got, want = _parse(name, spec), _expected(name)
        count("kind", got["kind"] == want["kind"])
        count("agency", got["agency"]["id"] == want["agency"]["id"])
        count("doc_number", got["doc_number"] == want["doc_number"])
        count("doc_date", got["doc_date"] == want["doc_date"])
        for sid, section in want["sections"].items():
            count("section_empty", got["sections"][sid]["empty"] == section["empty"])
            count("section_text", got["sections"][sid]["text"] == section["text"])
    rate = {k: a / b for k, (a, b) in hits.items()}
    with capsys.disabled():
        print("\nđộ chính xác trên bộ mẫu docx:", ", ".join(f"{k} {v:.1%}" for k, v in rate.items()))  # noqa: T201
    assert rate["kind"] == 1.0 and rate["agency"] == 1.0
    assert rate["section_empty"] >= 0.98 and rate["section_text"] >= 0.97
    assert rate["doc_number"] >= 0.95 and rate["doc_date"] >= 0.95


def test_truncated_docx_raises_typed_error() -> None:
    with pytest.raises(CorruptFile) as err:
        read_docx((FIXTURES / "broken_truncated.docx").read_bytes())
    assert "hỏng" in err.value.message


def test_not_a_zip_raises_typed_error() -> None:
    with pytest.raises(CorruptFile):
        read_docx(b"PK\x03\x04 this is not really a zip")


def _generator():
    spec_ = importlib.util.spec_from_file_location("make_docx_fixtures", GENERATOR)
    assert spec_ and spec_.loader
    module = importlib.util.module_from_spec(spec_)
    sys.modules[spec_.name] = module  # dataclasses look their module up while the file runs
    spec_.loader.exec_module(module)
    return module


def test_fixtures_are_up_to_date(tmp_path: Path) -> None:
    """The committed corpus is what the generator writes (compared as read, not as bytes)."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice is needed to rebuild the fixtures: apt-get install -y libreoffice-writer-nogui")
    if REGENERATE:
        assert not os.environ.get("CI"), "regenerating fixtures is not allowed in CI"
        _generator().write_all(FIXTURES)
        pytest.fail("fixtures regenerated: review the diff, commit, and run again without the switch")
    names = _generator().write_all(tmp_path)
    assert sorted(names) == NAMES
    for name in names:
        fresh = json.loads((tmp_path / f"{name}.expected.json").read_text(encoding="utf-8"))
        assert fresh == _expected(name), f"{name}.expected.json is stale: regenerate"
        assert read_docx((tmp_path / f"{name}.docx").read_bytes()) == read_docx(
            (FIXTURES / f"{name}.docx").read_bytes()
        ), f"{name}.docx is stale: regenerate"


@pytest.mark.parametrize("batch", range(4))
def test_random_layouts(batch: int, spec: OutlineSpec) -> None:
    """Seeded random mixes of agencies' habits: every field right, every section's text exact."""
    generator = _generator()
    wrong: list[str] = []
    for seed in range(batch * 25, batch * 25 + 25):
        data, want = generator.random_report(seed)
        got = interpret(read_docx(data), spec, file=f"random_{seed}.docx", fmt="docx").to_json()
        for field in ("kind", "doc_number", "doc_date"):
            if got[field] != want[field]:
                wrong.append(f"{seed} {field}: {got[field]!r} != {want[field]!r} {want['layout']}")
        if got["agency"]["id"] != want["agency"]["id"]:
            wrong.append(f"{seed} agency: {got['agency']} {want['layout']}")
        for sid, section in want["sections"].items():
            if {k: got["sections"][sid][k] for k in section} != section:
                wrong.append(f"{seed} {sid}: {got['sections'][sid]['text'][:80]!r} != {section['text'][:80]!r} {want['layout']}")
    assert not wrong, "\n".join(wrong)
