"""A report another answer says it replaces never comes back, however its number is written
(independent review of 7 Dec: "233/BC.ĐHPVĐ" let a late copy of 233 become current)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from flows.app import App
from parsers.model import ParseResult
from storage.models import RecipientRow, Submission
from storage.submissions import current_answer, record_submission

T = dt.datetime(2025, 8, 12, 2, tzinfo=dt.UTC)


def _rec(app, rid, key, number, hours, replaces=None):
    p = ParseResult(file=f"{key}.docx")
    p.doc_number = number
    if replaces:
        p.says_replaces, p.replaces_number = True, replaces
    with app.session() as s:
        r = record_submission(session=s, campaign_id=app.campaign().id, recipient_id=rid, kind="report",
                              received_at=T + dt.timedelta(hours=hours), channel="folder", content_key=key, parsed=p)
        return r.submission.id


def _state(app, rid):
    with app.session() as s:
        cur = current_answer(app.campaign().id, rid, session=s)
        subs = {x.id: (x.status, x.superseded_by_id) for x in s.scalars(select(Submission).where(Submission.recipient_id == rid))}
        return (cur.id if cur else None), subs


@pytest.mark.parametrize("replaced", ["233/BC-ĐHPVĐ", "233 / BC-ĐHPVĐ", "233/BC.ĐHPVĐ"])
def test_a_replaced_copy_arriving_late_stays_superseded(app: App, replaced: str) -> None:
    with app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == "soyt")).one()
    a = _rec(app, rid, "a", "233/BC-ĐHPVĐ", 0)
    b = _rec(app, rid, "b", "240/BC-ĐHPVĐ", 1, replaces=replaced)
    c = _rec(app, rid, "c", "233/BC-ĐHPVĐ", 2)
    cur, subs = _state(app, rid)
    assert cur == b, subs
    assert subs[a] == ("superseded", b) and subs[c] == ("superseded", b), subs
    d = _rec(app, rid, "d", "241/BC-ĐHPVĐ", 3)
    cur, subs = _state(app, rid)
    assert cur == d and all(v == ("superseded", d) for k, v in subs.items() if k != d), subs
    assert sum(1 for v in subs.values() if v[0] == "valid") == 1
