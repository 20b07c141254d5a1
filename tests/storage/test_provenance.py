"""Typed results reach the database whole: every stored value says where it was read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from flows.app import App, outline_spec
from parsers.api import parse_bytes
from storage.models import IndicatorValue, RecipientRow, SectionAnswer
from storage.submissions import record_submission

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
