"""Typed results reach the database whole: every stored value says where it was read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from flows.app import App, outline_spec
from flows.intake.review import assign_item
from parsers.api import parse_bytes
from parsers.model import Problem
from storage.models import IndicatorValue, RecipientRow, ReviewItem, SectionAnswer, Submission
from storage.submissions import open_problem_counts, open_problem_reviews, record_submission

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "docx" / "bqlkkt_tabs.docx"


def test_provenance_of_sections_and_figures_is_stored(app: App) -> None:
    campaign = app.campaign()
    data = FIXTURE.read_bytes()
    result = parse_bytes(data, FIXTURE.name, outline_spec(campaign))
    assert result.kind == "report" and result.indicators
    with app.session() as s:
        recipient = s.scalars(select(RecipientRow).where(RecipientRow.code == result.agency.id)).one()
        record_submission(
            session=s, campaign_id=campaign.id, recipient_id=recipient.id, kind=result.kind,
            received_at=dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC), channel="folder",
            content_key=result.sha256 or "k", parsed=result,
        )
    with app.session() as s:
        values = {v.row_id: v for v in s.scalars(select(IndicatorValue))}
        answers = {a.section_id: a for a in s.scalars(select(SectionAnswer))}
    filled = [rid for rid, ind in result.indicators.items() if ind.plan is not None]
    assert filled, "the fixture has figures"
    for rid in filled:
        stored = values[rid]
        assert stored.where and stored.where.startswith(FIXTURE.name), stored.where
        assert result.indicators[rid].where and result.indicators[rid].where in stored.where  # "bảng 1, dòng 4"
        assert stored.plan == result.indicators[rid].plan
        assert stored.rate_computed == result.indicators[rid].rate_computed
    answered = [sid for sid, sec in result.sections.items() if not sec.empty]
    assert answered
    for sid in answered:
        assert answers[sid].where and answers[sid].where.startswith(FIXTURE.name)
        assert result.sections[sid].where and result.sections[sid].where in answers[sid].where  # "đoạn 8"


def _doctored(rate_text: str) -> bytes:
    """syt_full.docx with row 1's rate replaced (12 / 15 is 80%, not what the cell says)."""
    import io

    import docx

    doc = docx.Document(str(FIXTURE.parent / "syt_full.docx"))
    doc.tables[1].rows[3].cells[4].paragraphs[0].runs[0].text = rate_text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _record(app: App, data: bytes, name: str, received: dt.datetime) -> tuple[int, bool]:
    campaign = app.campaign()
    result = parse_bytes(data, name, outline_spec(campaign))
    with app.session() as s:
        recipient = s.scalars(select(RecipientRow).where(RecipientRow.code == result.agency.id)).one()
        recorded = record_submission(
            session=s, campaign_id=campaign.id, recipient_id=recipient.id, kind=result.kind,
            received_at=received, channel="folder", content_key=result.sha256 or name, parsed=result,
        )
        return recorded.submission.id, recorded.created


def test_each_figure_keeps_its_source_and_the_document_its_confidence(app: App) -> None:
    sub_id, _ = _record(app, _doctored("40%"), "syt_rate.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    with app.session() as s:
        sub = s.get(Submission, sub_id)
        values = {v.row_id: v for v in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub_id))}
        assert sub is not None and sub.confidence is not None and sub.confidence < 1.0
        assert sub.coverage and sub.coverage > 0.5
        assert any(p["code"] == "rate_inconsistent" for p in sub.problems)
        row1 = values["1"]
        assert row1.values["plan"]["source"] == "read" and row1.values["plan"]["raw"] == "15"
        assert row1.values["rate"]["raw"] == "40%"
        assert row1.values["plan"]["where"].startswith("syt_rate.docx › bảng 2, dòng 4, cột")
        # "0" in both cells is the agency's explicit none: stored as 0 with its raw text, not a gap.
        row2 = values["2"]
        assert row2.explicit_none and row2.plan == 0
        assert row2.values["result"] == {**row2.values["result"], "source": "explicit_none", "raw": "0"}
        assert "2" not in sub.missing_rows


def test_a_blocking_problem_opens_one_review_item(app: App) -> None:
    data = _doctored("40%")
    received = dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC)
    sub_id, created = _record(app, data, "syt_rate.docx", received)
    again_id, again = _record(app, data, "syt_rate.docx", received)
    assert created and not again and again_id == sub_id
    with app.session() as s:
        items = list(s.scalars(select(ReviewItem).where(ReviewItem.submission_id == sub_id)))
        assert [i.kind for i in items] == ["problem"]
        assert "Tỷ lệ không khớp" in items[0].reason and "bảng 2, dòng 4" in items[0].reason
        assert open_problem_counts([sub_id], session=s) == {sub_id: 1}
        sub = s.get(Submission, sub_id)
        assert sub is not None
        # The same problem recorded twice (a second call) still makes one item: a database fact.
        open_problem_reviews(sub, sub.recipient_id, [Problem(**p) for p in sub.problems], session=s)
        assert len(list(s.scalars(select(ReviewItem).where(ReviewItem.submission_id == sub_id)))) == 1
    accepted = assign_item(app, items[0].id, "soyt")
    assert accepted["status"] == "resolved"
    with app.session() as s:
        assert open_problem_counts([sub_id], session=s) == {}
        assert s.scalar(select(func.count()).select_from(Submission)) == 1  # accepting records nothing


def test_a_clean_report_opens_no_problem_item(app: App) -> None:
    sub_id, _ = _record(app, (FIXTURE.parent / "syt_full.docx").read_bytes(), "syt_full.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    with app.session() as s:
        assert list(s.scalars(select(ReviewItem))) == []
        sub = s.get(Submission, sub_id)
        assert sub is not None and sub.confidence == 1.0


def test_what_counts_as_missing_is_campaign_policy(app: App) -> None:
    """"-" answers a row by default; a campaign may decide otherwise, or require fewer rows."""
    import io

    import docx

    doc = docx.Document(str(FIXTURE.parent / "syt_full.docx"))
    for row in doc.tables[1].rows[2:]:
        if row.cells[0].text.strip().isdigit():
            for cell in row.cells[2:5]:
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.text = ""
                cell.paragraphs[0].add_run("-")
    buf = io.BytesIO()
    doc.save(buf)
    campaign = app.campaign()
    result = parse_bytes(buf.getvalue(), "dashes.docx", outline_spec(campaign))
    received = dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC)
    with app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == "soyt")).one()
        kw = {"session": s, "campaign_id": campaign.id, "recipient_id": rid, "kind": "report", "received_at": received,
              "channel": "folder", "parsed": result, "section_ids": campaign.required_sections}
        default = record_submission(**kw, content_key="a", row_ids=campaign.required_rows).submission
        strict = record_submission(**kw, content_key="b", row_ids=campaign.required_rows, explicit_none_is_answer=False).submission
        fewer = record_submission(**kw, content_key="c", row_ids=["1", "2"], explicit_none_is_answer=False).submission
        assert default.missing_rows == []
        assert strict.missing_rows == [r.id for r in campaign.outline.table.rows]
        assert fewer.missing_rows == ["1", "2"]


def test_the_completeness_policy_names_only_outline_items() -> None:
    import pytest

    from config.campaign import parse_campaign
    from config.errors import ConfigError
    from tests.conftest import CONFIG_DIR

    text = (CONFIG_DIR / "campaigns" / "de-an-996.yaml").read_text(encoding="utf-8")
    assert parse_campaign(text).required_rows == ["1", "2", "3", "4", "5", "6", "7"]
    bad = text.replace("required_rows: []", "required_rows: ['99']")
    with pytest.raises(ConfigError, match="99"):
        parse_campaign(bad)


def test_a_newer_version_closes_the_problems_of_the_old_one(app: App) -> None:
    bad, _ = _record(app, _doctored("40%"), "syt_rate.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    good, _ = _record(app, (FIXTURE.parent / "syt_full.docx").read_bytes(), "syt_full.docx", dt.datetime(2025, 8, 13, 2, tzinfo=dt.UTC))
    with app.session() as s:
        assert s.get(Submission, bad).status == "superseded" and s.get(Submission, good).status == "valid"
        item = s.scalars(select(ReviewItem).where(ReviewItem.submission_id == bad)).one()
        assert item.status == "dismissed" and item.resolved_by == "system"
        assert open_problem_counts([bad, good], session=s) == {}


def test_signature_and_scan_doubts_open_review_items(app: App) -> None:
    """A document modified after signing, a signature of another organisation and figures read
    from a scan with low confidence each wait for a person; an untrusted chain is only a note."""
    sub_id, _ = _record(app, (FIXTURE.parent / "syt_full.docx").read_bytes(), "syt_full.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    doubts = [
        Problem("signature_modified", "Văn bản bị sửa sau khi «Sở Y tế» ký số", "trang 1"),
        Problem("signature_other_org", "Chữ ký số của «Công ty ABC»", "trang 2"),
        Problem("ocr_low_confidence", "Số 1.250 đọc với độ tin cậy 41%", "bảng 1, dòng 3"),
        Problem("signature_untrusted", "chưa xác minh được nhà cung cấp", ""),
    ]
    with app.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        opened = open_problem_reviews(sub, sub.recipient_id, doubts, session=s)
        reasons = sorted(i.reason for i in opened)
    assert len(reasons) == 3 and not any("nhà cung cấp" in r for r in reasons)
    assert any("Công ty ABC" in r for r in reasons) and any("sửa sau khi" in r for r in reasons)


def test_figure_doubts_of_the_table_open_review_items(app: App) -> None:
    """A row written twice with different figures, a count that is no whole number and a
    scaled figure wait for a person; hidden sheet rows left out are only a note."""
    sub_id, _ = _record(app, (FIXTURE.parent / "syt_full.docx").read_bytes(), "syt_full.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    doubts = [
        Problem("row_duplicate", "Dòng 6 được ghi 2 lần với số liệu khác nhau", "trang tính 'Biểu', dòng 13"),
        Problem("count_not_integer", "Dòng 6: «1,25» ở cột Kết quả không phải số nguyên", "bảng 1, dòng 9"),
        Problem("number_scaled", "«2 tỷ đồng» được hiểu là 2.000.000.000", "bảng 1, dòng 3"),
        Problem("hidden_content", "Trang tính 'Biểu' có dòng ẩn 13 chứa nội dung", "trang tính 'Biểu'"),
    ]
    with app.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        reasons = sorted(i.reason for i in open_problem_reviews(sub, sub.recipient_id, doubts, session=s))
    assert len(reasons) == 3 and not any("dòng ẩn" in r for r in reasons)
    assert any(r.startswith("Một dòng của bảng định lượng được ghi hai lần") for r in reasons)


def test_a_document_not_naming_its_agency_is_no_problem_of_the_recorded_report(app: App) -> None:
    """Recorded for an agency (by its sender, folder or a person): the receipt and the agency
    page must not go on saying the sender is unknown; other problems stay."""
    campaign = app.campaign()
    result = parse_bytes(FIXTURE.read_bytes(), FIXTURE.name, outline_spec(campaign))
    result.problems += [
        Problem("agency_unknown", "Không xác định được đơn vị gửi (văn bản ghi: “CƠ QUAN”).", "khối tiêu đề"),
        Problem("rate_computed", "Tỷ lệ dòng 1 do hệ thống tính.", "bảng 1"),
    ]
    with app.session() as s:
        recipient = s.scalars(select(RecipientRow).where(RecipientRow.code == "sotp")).one()
        sub = record_submission(
            session=s, campaign_id=campaign.id, recipient_id=recipient.id, kind="report",
            received_at=dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC), channel="email",
            content_key="k-agency", parsed=result,
        ).submission
        codes = [p["code"] for p in sub.problems]
    assert "agency_unknown" not in codes and "rate_computed" in codes


def test_a_row_with_a_plan_and_no_result_is_asked_for(app: App) -> None:
    """Sở Công Thương's row 3: plan 12, result left blank. The row is missing (the status says
    "thiếu", the "Bổ sung báo cáo" mail asks for it); a "-" in the blank is an answer."""
    from parsers.model import Indicator, ParseResult
    from parsers.model import IndicatorValue as Fig

    def row(result: Fig) -> Indicator:
        return Indicator(plan=12, values={"plan": Fig(12, "read", "12"), "result": result})

    parsed = ParseResult(file="x.docx", kind="report", indicators={
        "1": row(Fig(10, "read", "10")),
        "2": row(Fig()),  # blank
        "3": row(Fig(0, "explicit_none", "-")),
        "4": Indicator(values={"plan": Fig(), "result": Fig(5, "read", "5")}),
    })
    campaign = app.campaign()
    with app.session() as s:
        recipient = s.scalars(select(RecipientRow).where(RecipientRow.code == "soct")).one()
        sub = record_submission(
            session=s, campaign_id=campaign.id, recipient_id=recipient.id, kind="report",
            received_at=dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC), channel="email",
            content_key="k-half", parsed=parsed, row_ids=["1", "2", "3", "4", "5"],
        ).submission
        assert sub.missing_rows == ["2", "4", "5"]


def test_period_and_section_doubts_open_review_items(app: App) -> None:
    """A report for another period waits for a person and holds the figures (counted as a
    figure problem); a heading placed between two close sections waits for a person too, but
    leaves the figures trusted (not counted)."""
    sub_id, _ = _record(app, (FIXTURE.parent / "syt_full.docx").read_bytes(), "syt_full.docx", dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC))
    doubts = [
        Problem("wrong_period", "Báo cáo có thể không đúng kỳ đề nghị: tiêu đề ghi «Báo cáo năm 2022»", "khối tiêu đề"),
        Problem("section_ambiguous", "Đề mục «Về kiểm định» được xếp vào mục 2.2.b nhưng cũng gần với mục 2.4.b", "đoạn 9"),
    ]
    with app.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        reasons = sorted(i.reason for i in open_problem_reviews(sub, sub.recipient_id, doubts, session=s))
        assert len(reasons) == 2 and any("2.4.b" in r for r in reasons) and any("năm 2022" in r for r in reasons)
        assert open_problem_counts([sub_id], session=s) == {sub_id: 1}
