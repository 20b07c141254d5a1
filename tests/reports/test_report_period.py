"""A report for another period (`wrong_period`) stays out of the totals while its review item is
open, the rows it would have added to say so, and counts once a person accepted it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config.campaign import Campaign, load_campaigns
from reports.consolidate import AgencyReport, Figures, ProblemNote, consolidate

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 20, 10, 0, tzinfo=dt.UTC)
MESSAGE = "Báo cáo có thể không đúng kỳ đề nghị (giai đoạn 2018 – 2025): tiêu đề ghi «Báo cáo năm 2022»."


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996")


def _agencies(open_: bool | None, open_problems: int = 1) -> list[AgencyReport]:
    right = AgencyReport("bdt", "Ban Dân tộc", state="submitted", figures={"4": Figures(6, 3, 50.0), "7": Figures(20, 17, 85.0)})
    other = AgencyReport(
        "lđlđ", "Liên đoàn Lao động", state="submitted",
        figures={"4": Figures(9, 8, 88.9), "7": Figures(30, 30, 100.0)},
        problems=(ProblemNote("wrong_period", MESSAGE, "khối tiêu đề", open=open_),),
        open_problems=open_problems,
    )
    return [right, other]


@pytest.mark.parametrize(("open_", "open_problems"), [(True, 1), (None, 1)])
def test_open_wrong_period_is_left_out(campaign: Campaign, open_: bool | None, open_problems: int) -> None:
    model = consolidate(campaign, _agencies(open_, open_problems), as_of=AS_OF)
    assert (model.totals.at["4", "plan"], model.totals.at["4", "result"]) == (6, 3)
    assert (model.totals.at["7", "plan"], model.totals.at["7", "result"]) == (20, 17)
    assert model.totals.at["7", "reporting"] == 1
    assert "Liên đoàn Lao động" in model.unit_notes["7"] and "kỳ khác" in model.unit_notes["7"]
    lines = [p for p in model.problems if p.code == "wrong_period"]
    assert len(lines) == 1 and lines[0].open
    # The agency's own figures stay in the matrix (its annex shows what it sent).
    mine = model.matrix[(model.matrix["code"] == "lđlđ") & (model.matrix["row"] == "7")]
    assert float(mine["result"].iloc[0]) == 30


def test_accepted_wrong_period_counts(campaign: Campaign) -> None:
    model = consolidate(campaign, _agencies(False, 0), as_of=AS_OF)
    assert (model.totals.at["7", "plan"], model.totals.at["7", "result"]) == (50, 47)
    assert "7" not in model.unit_notes
