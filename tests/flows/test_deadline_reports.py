"""The report after a deadline, as a plain function (the `deadline-check` flow is a shell over
it): once per deadline, recorded only after the report is written."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.report import deadline_reports, due_deadlines


def test_each_deadline_builds_once_and_a_failed_build_is_not_recorded(app) -> None:
    campaign = next(c for c in app.active_campaigns() if c.deadline_at is not None)
    deadline = campaign.deadline_at
    calls: list[str] = []

    def build(cid: str) -> tuple[dict, dict]:
        calls.append(cid)
        return {"campaign": cid}, {"submitted": 0}

    before, _ = deadline_reports(app, deadline - dt.timedelta(minutes=1), build)
    assert before == {} and calls == []

    def broken(cid: str) -> tuple[dict, dict]:
        raise RuntimeError("disk full")

    after = deadline + dt.timedelta(minutes=1)
    with pytest.raises(RuntimeError):
        deadline_reports(app, after, broken)
    assert [cid for cid, _ in due_deadlines(app, after)] == [campaign.id]  # still owed

    built, counts = deadline_reports(app, after, build)
    assert built == {campaign.id: {"campaign": campaign.id}} and counts == {campaign.id: {"submitted": 0}}
    again, _ = deadline_reports(app, after + dt.timedelta(hours=1), build)
    assert again == {} and calls == [campaign.id]
