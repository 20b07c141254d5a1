"""'Record a response' (paper, phone, by hand) is idempotent and keeps what it cannot read:
the form's token is the content key (unique in the database), the file is read before the
write transaction, and a file that cannot be read is kept with its error and a review item."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from tests.web.conftest import csrf_of

BROKEN_DOCX = b"PK\x03\x04 not really a zip"


def _form(client, code: str) -> dict[str, str]:
    page = client.get(f"/don-vi/{code}").text
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', page)
    assert token, "the form carries no token"
    return {"csrf": csrf_of(page), "form_token": token.group(1), "kenh": "paper", "loai": "acknowledgement", "luc": "",
            "ghi_chu": "công văn giấy"}


def _not_responded(app) -> str:
    from flows.app import status_report

    return next(r["id"] for r in status_report(app)["recipients"] if r["state"] == "not_responded")


def _submissions(app, code: str) -> int:
    from storage.models import RecipientRow, Submission

    with app.session() as s:
        return s.scalar(select(func.count()).select_from(Submission).join(RecipientRow, RecipientRow.id == Submission.recipient_id)
                        .where(RecipientRow.code == code))


def test_the_same_form_posted_twice_records_one_submission(client_for, web_app) -> None:
    code = _not_responded(web_app)
    client = client_for("canbo")
    form = _form(client, code)
    assert client.post(f"/don-vi/{code}/ghi-nhan", data=form).status_code == 303
    assert client.post(f"/don-vi/{code}/ghi-nhan", data=form).status_code == 303  # a double click, a resent request
    assert _submissions(web_app, code) == 1
    assert "đã được ghi nhận trước đó" in client.get(f"/don-vi/{code}").text
    # A new form (the page loaded again) is a new response.
    assert client.post(f"/don-vi/{code}/ghi-nhan", data=_form(client, code)).status_code == 303
    assert _submissions(web_app, code) == 2


def test_a_file_that_cannot_be_read_is_kept_with_its_error_shown(client_for, web_app) -> None:
    from storage.models import Document, ReviewItem, Submission

    code = _not_responded(web_app)
    client = client_for("canbo")
    form = {**_form(client, code), "loai": "report"}
    resp = client.post(f"/don-vi/{code}/ghi-nhan", data=form, files={"tep": ("bao cao.docx", BROKEN_DOCX, "application/octet-stream")})
    assert resp.status_code == 303
    assert "Tệp không đọc được" in client.get(f"/don-vi/{code}").text
    with web_app.session() as s:
        doc = s.scalars(select(Document).where(Document.filename == "bao cao.docx")).one()
        assert doc.status == "rejected" and doc.error_code and doc.error_message
        sub = s.scalars(select(Submission).where(Submission.document_id == doc.id)).one()
        item = s.scalars(select(ReviewItem).where(ReviewItem.submission_id == sub.id)).one()
        assert item.status == "open" and item.kind == "problem" and doc.error_message in item.reason


def test_record_response_twice_with_one_token_on_each_backend(app) -> None:
    """SQLite and PostgreSQL: one token, one submission; a broken file keeps its error."""
    from flows.web import actions
    from storage.models import Document, ReviewItem

    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    token = actions.form_token()
    first = actions.record_response(app, "sotp", "paper", "acknowledgement", at, "", None, "lan", token=token)
    again = actions.record_response(app, "sotp", "paper", "acknowledgement", at, "", None, "lan", token=token)
    assert first["created"] and not again["created"] and again["submission_id"] == first["submission_id"]
    assert _submissions(app, "sotp") == 1
    bad = actions.record_response(app, "soyt", "hand", "report", at, "", ("bc.docx", BROKEN_DOCX), "lan",
                                  token=actions.form_token())
    assert bad["created"] and bad["error"]
    with app.session() as s:
        doc = s.get(Document, bad["document_id"])
        assert doc is not None and doc.status == "rejected" and doc.error_message == bad["error"]
        assert s.scalars(select(ReviewItem.kind).where(ReviewItem.submission_id == bad["submission_id"])).all() == ["problem"]
