"""Metamorphic tests: variants of the fixture reports parse to the same sections, values and
problems (tests/parsers/variations.py). A bounded run; bench/bench_variations.py runs more."""

from __future__ import annotations

from pathlib import Path

import pytest
import variations as V

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture(scope="module")
def outcomes(spec: OutlineSpec) -> list[V.Outcome]:
    return V.run(spec, seed=996, per_axis=4)


@pytest.mark.parametrize("axis", list(V.AXES))
def test_parse_is_invariant(axis: str, outcomes: list[V.Outcome]) -> None:
    mine = [o for o in outcomes if o.axis == axis]
    assert mine, f"no variant made for {axis}"
    failed = [f"{o.base} ({o.note}): {o.diffs[:3]}" for o in mine if not o.ok]
    assert not failed, "\n".join(failed)


def test_generator_is_seeded(spec: OutlineSpec) -> None:
    one = [(o.axis, o.base, o.note) for o in V.run(spec, seed=7, per_axis=1, axes=["header_synonyms", "none_cells"])]
    two = [(o.axis, o.base, o.note) for o in V.run(spec, seed=7, per_axis=1, axes=["header_synonyms", "none_cells"])]
    assert one == two


@pytest.mark.libreoffice
@pytest.mark.parametrize(("name", "target"), [("syt_full", "odt"), ("hhdn_styles", "doc"), ("p29_xlsx_hnd", "ods")])
def test_round_trip_is_invariant(name: str, target: str, spec: OutlineSpec) -> None:
    base = next(b for b in V.bases(spec) if b.name == name)
    outcome = V.check_round_trip(base, target, spec)
    assert outcome.ok, outcome.diffs


def test_section_missing_on_a_sheet_drops_the_heading_row_and_its_answer(spec: OutlineSpec) -> None:
    """A sheet row gives its heading and its answer the same place: the variant must take out
    the heading and the answer of the dropped section, not the next section's heading."""
    import random

    from parsers.document import Doc, Para

    where = "trang tính 'Sheet1', dòng {}".format
    blocks = [Para("LIÊN MINH HỢP TÁC XÃ", where=where(1)), Para("Thuyết minh", where=where(17))]
    rows = [("a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996",
             "Ban hành Quyết định số 812/QĐ-LMHTX."),
            ("b) Triển khai hoạt động kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo cho các doanh nghiệp",
             "Kiểm định miễn phí cân bàn cho hợp tác xã."),
            ("b) Về đưa tin, viết bài tuyên truyền về Đề án 996 trên các phương tiện thông tin, truyền thông",
             "Thực hiện 02 phóng sự.")]
    for n, (heading, answer) in enumerate(rows, start=18):
        blocks += [Para(heading, style="Heading", where=where(n)), Para(answer, where=where(n))]
    base = V.Base("sheet", Path("sheet.xlsx"), "xlsx", Doc(blocks=blocks))
    for seed in range(20):
        variant = V.section_missing(base, spec, random.Random(seed))
        assert variant is not None
        texts = [b.text for b in variant.doc.blocks]
        dropped = {"1.a": 0, "2.4.b": 1, "2.5.b": 2}[next(iter(variant.drops))]
        assert rows[dropped][0] not in texts and rows[dropped][1] not in texts
        assert all(h in texts and a in texts for k, (h, a) in enumerate(rows) if k != dropped)
        assert V.check(base, variant, spec).ok
