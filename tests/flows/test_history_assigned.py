"""A mail a person assigned to an agency (a review item) is in that agency's timeline, on
SQLite and PostgreSQL — also when the message itself was not waiting in review any more (one of
its parts already recorded), so only the review item and the submission tie it to the agency;
channel words are Vietnamese."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import CONFIG_DIR
from tests.web.seed import populated_app


def test_an_assigned_mail_is_in_the_agencys_timeline(db_url: str, tmp_path: Path) -> None:
    from flows.history import recipient_history
    from flows.intake.review import assign_item
    from parsers.vocab import ItemStatus, MailKind
    from storage.models import InboundMail, ReviewItem
    from storage.status import open_review_items

    app = populated_app(tmp_path / "data", CONFIG_DIR, database_url=db_url)
    try:
        with app.session() as session:
            item = next(i for i in open_review_items(None, session=session) if i.kind == "attribution" and i.inbound_mail_id)
            item_id, mail_id = item.id, item.inbound_mail_id
            mail = session.get(InboundMail, mail_id)
            subject, kind = mail.subject, mail.classification
            # The message's status moved on (e.g. another of its parts was recorded): only the
            # review item knows whose it is.
            mail.status = ItemStatus.PROCESSED
        before = recipient_history(app, "sotc")
        assert not any(e.get("inbound_mail_id") == mail_id for e in before["entries"])
        assign_item(app, item_id, "sotc", actor="canbo")
        with app.session() as session:
            assert session.scalars(select(ReviewItem.status).where(ReviewItem.id == item_id)).one() == "resolved"
        entries = recipient_history(app, "sotc")["entries"]
        mails = [e for e in entries if e.get("inbound_mail_id") == mail_id]
        assert len(mails) == 1 and subject in mails[0]["summary"]
        assert kind and f"[{MailKind.labels()[kind]}, đã ghi nhận]" in mails[0]["summary"]  # Vietnamese, not "[submission, processed]"
        subs = [e for e in entries if e["kind"] == "submission"]
        assert subs and all("qua thư điện tử" in e["summary"] for e in subs), subs
        assert not any(word in e["summary"] for e in entries for word in ("qua email", "qua paper", "qua folder"))
    finally:
        app.engine.dispose()
