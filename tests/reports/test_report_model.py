"""The consolidated report's pure model: totals, rates, narrative grouping, statistics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config.campaign import Campaign, load_campaigns
from reports.consolidate import (
    AgencyReport,
    Figures,
    ProblemNote,
    ReviewNote,
    consolidate,
    rate_of,
    section_label,
    stock_key,
    vn_date,
    vn_number,
    vn_rate,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaigns(ROOT / "config" / "campaigns")[0]


def agencies() -> list[AgencyReport]:
    return [
        AgencyReport(
            "a", "Sở A", state="submitted",
            sections={"1.a": "Đã ban hành kế hoạch.\nĐoạn hai.", "1.b": "Không có.", "1.c": "  "},
            figures={"1": Figures(1000, 850, 85.0), "2": Figures(0, 5, None), "3": Figures(None, 2, None)},
            extra_text="Kiến nghị tăng kinh phí.",
            problems=(ProblemNote("rate_mismatch", "Tỷ lệ dòng 1 không khớp", "bảng, dòng 1"),),
        ),
        AgencyReport(
            "b", "Sở B", state="submitted", late=True,
            sections={"1.a": "Phối hợp tập huấn.", "1.b": "- không có", "1.c": "Không phát sinh.", "2.1.a": "……… …;"},
            figures={"1": Figures(250, None, None), "3": Figures(3, 1, None)},
        ),
        AgencyReport("c", "Sở C", state="nil_report", sections={"1.a": "bỏ qua"}, figures={"1": Figures(9999, 9999)}),
        AgencyReport("d", "Sở D", state="acknowledged"),
        AgencyReport("e", "Sở E", state="not_responded"),
        AgencyReport("f", "Sở F", state="nil_report", late=True),
    ]


def _figures(totals: dict, row: str) -> dict:
    return {k: totals[row][k] for k in ("plan", "result", "rate", "plan_n", "result_n", "rate_n")}


def test_totals_count_blanks_as_missing_not_zero(campaign: Campaign) -> None:
    """A blank is no figure: each column sums the agencies that gave it, the rate only those
    that gave plan and result (Sở B's plan 250 without a result stays out of row 1's rate)."""
    model = consolidate(campaign, agencies(), as_of=AS_OF)
    totals = model.totals_json()
    assert _figures(totals, "1") == {"plan": 1250, "result": 850, "rate": 85.0, "plan_n": 2, "result_n": 1, "rate_n": 1}
    assert totals["1"]["basis"] == "kế hoạch: 2/2 đơn vị ghi; kết quả: 1/2; tỷ lệ tính trên 1 đơn vị ghi cả hai"
    assert _figures(totals, "2") == {"plan": 0, "result": 5, "rate": None, "plan_n": 1, "result_n": 1, "rate_n": 1}
    # Row 3: Sở A gave only a result (2): it is summed, but the rate is Sở B's 1 / 3.
    assert _figures(totals, "3") == {"plan": 3, "result": 3, "rate": 33.3, "plan_n": 1, "result_n": 2, "rate_n": 1}
    # Nobody filled row 7: no figure at all, never 0 / 0.
    assert _figures(totals, "7") == {"plan": None, "result": None, "rate": None, "plan_n": 0, "result_n": 0, "rate_n": 0}
    assert totals["7"]["basis"] == "chưa có số liệu"
    assert list(totals) == ["1", "2", "3", "4", "5", "6", "7"]
    # Nil reports bring no figures even if something was parsed.
    assert set(model.matrix["code"]) == {"a", "b"}
    assert model.totals.loc["1", "reporting"] == 2
    assert "ô trống không tính là 0" in model.totals_note and "2 cơ quan" in model.totals_note


def test_blanked_plan_leaves_the_rate_of_the_others(campaign: Campaign) -> None:
    """The reviewer's case: one agency's plan blanked (its result stays): the province rate is
    the others' rate, not the sum of all results over the remaining plans."""
    full = [
        AgencyReport("a", "Sở A", state="submitted", figures={"1": Figures(120, 131, 109.2)}),
        AgencyReport("b", "Sở B", state="submitted", figures={"1": Figures(1000, 900, 90.0)}),
    ]
    assert consolidate(campaign, full, as_of=AS_OF).totals_json()["1"]["rate"] == rate_of(1120, 1031)
    blank = [
        AgencyReport("a", "Sở A", state="submitted", figures={"1": Figures(None, 131, 109.2, corrected=frozenset({"plan"}))}),
        full[1],
    ]
    totals = consolidate(campaign, blank, as_of=AS_OF).totals_json()["1"]
    assert totals["plan"] == 1000 and totals["result"] == 1031  # each column its own givers
    assert totals["rate"] == 90.0 and (totals["plan_n"], totals["result_n"], totals["rate_n"]) == (1, 2, 1)


def test_rate_recomputed_after_a_correction_and_flagged(campaign: Campaign) -> None:
    """Plan corrected 120 → 1.250: the file's 109,2% is stale; the rate shown is 131 / 1.250,
    and a problem line says the file's rate no longer fits."""
    corrected = Figures(1250, 131, 109.2, corrected=frozenset({"plan"}))
    model = consolidate(campaign, [AgencyReport("a", "Sở A", state="submitted", figures={"1": corrected},
                                                provenance={"1": "BC.docx › bảng 1, dòng 1; cán bộ đã sửa"})], as_of=AS_OF)
    m = model.matrix.set_index(["code", "row"])
    assert m.loc[("a", "1"), "rate"] == 10.5
    assert model.totals_json()["1"]["rate"] == 10.5
    [line] = [p for p in model.problems if p.code == "rate_recomputed"]
    assert line.agency == "Sở A" and line.message.startswith("Dòng 1: tỷ lệ ghi trong tệp 109,2%")
    assert "10,5%" in line.message and line.where.startswith("BC.docx")


def test_a_cleared_plan_drops_the_files_rate(campaign: Campaign) -> None:
    """Plan cleared by a person: the file's 109,2% (of the old plan) is not shown any more."""
    fig = Figures(None, 131, 109.2, corrected=frozenset({"plan"}))
    model = consolidate(campaign, [AgencyReport("a", "Sở A", state="submitted", figures={"1": fig})], as_of=AS_OF)
    rate = model.matrix.set_index(["code", "row"]).loc[("a", "1"), "rate"]
    assert rate != rate  # NaN: blank
    [line] = [p for p in model.problems if p.code == "rate_recomputed"]
    assert line.message.startswith("Dòng 1: tỷ lệ ghi trong tệp 109,2% bỏ đi")


def test_parser_rate_note_about_corrected_figures_is_dropped(campaign: Campaign) -> None:
    stale = ProblemNote("rate_inconsistent", "Dòng 1: tỷ lệ báo cáo 50% không khớp …; giữ số đơn vị báo cáo.")
    other = ProblemNote("rate_inconsistent", "Dòng 3: tỷ lệ báo cáo 50% không khớp …; giữ số đơn vị báo cáo.")
    agency = AgencyReport("a", "Sở A", state="submitted", problems=(stale, other), figures={
        "1": Figures(200, 100, 80.0, corrected=frozenset({"result"})), "3": Figures(4, 1, 50.0)})
    problems = consolidate(campaign, [agency], as_of=AS_OF).problems
    assert [p.message[:7] for p in problems] == ["Dòng 3:", "Dòng 1:"]
    assert problems[1].code == "rate_recomputed" and "50,0%" in problems[1].message


def test_uncorrected_rate_kept_and_flagged_once(campaign: Campaign) -> None:
    """An agency's rate that disagrees with its figures is kept as reported (the parser's note
    says so); without such a note (entered by hand) the model flags it itself."""
    fig = Figures(200, 100, 80.0)
    noted = AgencyReport("a", "Sở A", state="submitted", figures={"1": fig},
                         problems=(ProblemNote("rate_inconsistent", "Dòng 1: tỷ lệ báo cáo 80% không khớp"),))
    silent = AgencyReport("b", "Sở B", state="submitted", figures={"1": fig})
    model = consolidate(campaign, [noted, silent], as_of=AS_OF)
    m = model.matrix.set_index(["code", "row"])
    assert m.loc[("a", "1"), "rate"] == 80.0 and m.loc[("b", "1"), "rate"] == 80.0
    rates = [(p.agency, p.code) for p in model.problems]
    assert rates == [("Sở A", "rate_inconsistent"), ("Sở B", "rate_inconsistent")]


def test_rate_a_person_typed_is_kept_but_checked(campaign: Campaign) -> None:
    fig = Figures(200, 100, 80.0, corrected=frozenset({"rate"}))
    model = consolidate(campaign, [AgencyReport("a", "Sở A", state="submitted", figures={"1": fig})], as_of=AS_OF)
    assert model.matrix.set_index(["code", "row"]).loc[("a", "1"), "rate"] == 80.0
    assert [p.message[:33] for p in model.problems] == ["Dòng 1: tỷ lệ cán bộ đã sửa 80,0%"]


def test_rate_rounds_half_up_to_one_decimal() -> None:
    assert rate_of(2000, 1701) == 85.1  # 85.05
    assert rate_of(3, 1) == 33.3
    assert rate_of(3, 2) == 66.7
    assert rate_of(0, 5) is None
    assert rate_of(None, 5) is None
    assert rate_of(10, None) == 0.0


def test_agency_rate_kept_as_reported_or_computed(campaign: Campaign) -> None:
    model = consolidate(campaign, agencies(), as_of=AS_OF)
    m = model.matrix.set_index(["code", "row"])
    assert m.loc[("a", "1"), "rate"] == 85.0
    assert m.loc[("b", "3"), "rate"] == 33.3
    assert m.loc[("b", "1"), "rate"] != m.loc[("b", "1"), "rate"]  # no result: no rate (NaN)


def test_narrative_groups_stock_answers_and_omits_empty(campaign: Campaign) -> None:
    model = consolidate(campaign, agencies(), as_of=AS_OF)
    one_a = model.narrative["1.a"]
    assert [(x.names, x.stock) for x in one_a] == [(("Sở A",), False), (("Sở B",), False)]
    assert one_a[0].text == "Đã ban hành kế hoạch.\nĐoạn hai."
    one_b = model.narrative["1.b"]
    assert len(one_b) == 1 and one_b[0].stock
    assert one_b[0].names == ("Sở A", "Sở B") and one_b[0].text == "Không có."
    assert one_b[0].who == "Sở A, Sở B"
    one_c = model.narrative["1.c"]
    assert [(x.names, x.text) for x in one_c] == [(("Sở B",), "Không phát sinh.")]
    assert model.narrative["2.5.b"] == []
    assert model.narrative["2.1.a"] == []  # dotted blanks left as they were
    assert model.closing == [("Sở A", "Kiến nghị tăng kinh phí.")]


def test_response_statistics_name_agencies(campaign: Campaign) -> None:
    stats = consolidate(campaign, agencies(), as_of=AS_OF).stats
    assert stats.submitted == ("Sở A", "Sở B")
    assert stats.nil == ("Sở C", "Sở F")
    assert stats.on_time == ("Sở A", "Sở C")
    assert stats.late == ("Sở B", "Sở F")
    assert stats.acknowledged == ("Sở D",)
    assert stats.not_responded == ("Sở E",)
    assert stats.to_json() == {
        "total": 6, "responded": 4, "submitted": 2, "nil_report": 2,
        "on_time": 2, "late": 2, "acknowledged": 1, "not_responded": 1,
    }


def test_problems_list_rates_then_review_items(campaign: Campaign) -> None:
    review = [ReviewNote(7, "mail:3", "Không rõ đơn vị gửi")]
    problems = consolidate(campaign, agencies(), review, as_of=AS_OF).problems
    assert [(p.kind, p.agency, p.code) for p in problems] == [
        ("submission", "Sở A", "rate_mismatch"),
        ("review", "", "review"),
    ]
    assert problems[1].where == "mail:3"


def test_as_of_is_local_time(campaign: Campaign) -> None:
    model = consolidate(campaign, [], as_of=AS_OF)
    assert model.as_of.utcoffset() == dt.timedelta(hours=7)
    assert model.as_of.hour == 17
    assert _figures(model.totals_json(), "1") == {
        "plan": None, "result": None, "rate": None, "plan_n": 0, "result_n": 0, "rate_n": 0}


@pytest.mark.parametrize(
    ("value", "text"),
    [(1250, "1.250"), (1250.0, "1.250"), (12.5, "12,5"), (1234567.25, "1.234.567,25"), (0, "0"), (None, "")],
)
def test_vietnamese_numbers(value: float | None, text: str) -> None:
    assert vn_number(value) == text


def test_vietnamese_rate_date_and_labels() -> None:
    assert vn_rate(85.05) == "85,1%"  # half-up, like the model
    assert vn_rate(68.0) == "68,0%"
    assert vn_rate(None) == ""
    assert vn_date(dt.date(2025, 8, 5)) == "ngày 05 tháng 8 năm 2025"
    assert vn_date(dt.date(2025, 2, 15)) == "ngày 15 tháng 02 năm 2025"
    assert section_label("2.1") == "2.1."
    assert section_label("2.2.dd") == "đ)"
    assert section_label("1.a") == "a)"


@pytest.mark.parametrize("text", ["Không có.", "không có", "- Không phát sinh;", "KHÔNG CÓ", "Chưa triển khai."])
def test_stock_answers_recognised(text: str) -> None:
    assert stock_key(text) is not None


@pytest.mark.parametrize("text", ["Không có vi phạm nào được phát hiện trong năm 2024.", "Đã ban hành kế hoạch."])
def test_real_answers_not_stock(text: str) -> None:
    assert stock_key(text) is None


def test_a_paper_report_without_figures_is_said_not_counted_silently(campaign: Campaign) -> None:
    """A person recorded Liên minh HTX's paper report and typed no figures: it counts as sent,
    but the totals note and the problem list say its figures are not in the totals."""
    model = consolidate(campaign, [
        AgencyReport("a", "Sở A", state="submitted", channel="email", figures={"1": Figures(120, 131, 109.2)}),
        AgencyReport("b", "Liên minh HTX", state="submitted", channel="paper"),
        AgencyReport("c", "Sở C", state="submitted", channel="email"),  # its file had no table: parser's own problems say so
    ], as_of=AS_OF)
    assert "Tổng hợp từ số liệu của 3 cơ quan, đơn vị đã gửi báo cáo (2 đơn vị chưa có số liệu: Liên minh HTX, Sở C)" in model.totals_note
    lines = [p for p in model.problems if p.code == "figures_not_entered"]
    assert [(p.agency, p.open) for p in lines] == [("Liên minh HTX", True)]
    assert lines[0].message.startswith("Báo cáo (bản giấy) chưa có số liệu bảng định lượng")
    # Every row's figures typed in later: nothing to say any more.
    typed = consolidate(campaign, [AgencyReport("b", "Liên minh HTX", state="submitted", channel="paper",
                                                figures={r.id: Figures(3, 3, 100.0) for r in campaign.outline.table.rows})],
                        as_of=AS_OF)
    assert not [p for p in typed.problems if p.code == "figures_not_entered"]
    assert "chưa có số liệu:" not in typed.totals_note


def test_a_part_filled_paper_report_lists_every_row_still_missing(campaign: Campaign) -> None:
    """Bộ CHQS's paper report with a plan only on row 1, a rate only on row 2, rows 3 and 5
    complete and rows 4, 6, 7 untouched: each row not complete is an open problem (a
    half-filled row is missing, as for a file), and the count per agency is the list's."""
    figures = {"1": Figures(120, None, None, corrected=frozenset({"plan"})),
               "2": Figures(None, None, 50.0, corrected=frozenset({"rate"})),
               "3": Figures(10, 8, None, corrected=frozenset({"plan", "result"})),
               "5": Figures(0, 0, None, corrected=frozenset({"plan", "result"}))}  # 0 is an answer
    model = consolidate(campaign, [
        AgencyReport("bchqs", "Bộ CHQS", state="submitted", channel="paper", figures=figures),
        # A file was read: its gaps are the parser's to say, not this rule's.
        AgencyReport("a", "Sở A", state="submitted", channel="paper", figures={"1": Figures(5, None, None)}, confidence=0.9),
        AgencyReport("b", "Sở B", state="submitted", channel="email", figures={"1": Figures(5, None, None)}),
    ], as_of=AS_OF)
    lines = [p for p in model.problems if p.code == "figures_not_entered"]
    assert [(p.agency, p.message.split(":")[0], p.open) for p in lines] == [
        ("Bộ CHQS", f"Dòng {r}", True) for r in ("1", "2", "4", "6", "7")
    ]
    said = {p.message.split(" (")[0] for p in lines}
    assert {"Dòng 1: có kế hoạch, chưa có kết quả", "Dòng 2: chỉ có tỷ lệ", "Dòng 4: chưa nhập số liệu"} <= said
    assert model.open_count(model.agencies[0]) == 5 == sum(1 for p in model.problems if p.open and p.agency == "Bộ CHQS")
    assert model.open_count(model.agencies[1]) == model.open_count(model.agencies[2]) == 0
    # Every row typed in: nothing left to say.
    full = {r.id: Figures(1, 1, None, corrected=frozenset({"plan", "result"})) for r in campaign.outline.table.rows}
    done = consolidate(campaign, [AgencyReport("bchqs", "Bộ CHQS", state="submitted", channel="paper", figures=full)],
                       as_of=AS_OF)
    assert not [p for p in done.problems if p.code == "figures_not_entered"] and done.open_count(done.agencies[0]) == 0


def test_the_model_needs_the_callers_moment(campaign) -> None:
    """`as_of` is required: the builder never reads the clock, so a report of the same inputs
    is the same report whenever it is built."""
    with pytest.raises(TypeError, match="as_of"):
        consolidate(campaign, [])  # type: ignore[call-arg]
    one, two = (consolidate(campaign, agencies(), as_of=AS_OF) for _ in range(2))
    assert one.as_of == two.as_of == AS_OF.astimezone(campaign.tz)
