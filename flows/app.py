"""The application layer: plain functions the CLI and the Prefect flows both call.

Settings are read once at the entry point and passed in; every function here opens its own
unit of work so the CLI and the flows behave the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from config import clock
from config.campaign import Campaign, load_campaigns, pick_campaign
from reports.status import (
    RecipientFacts,
    RecipientStatus,
    Response,
    by_group_sections,
    count_states,
    recipient_status,
)
from storage.status import (
    RecipientRecord,
    deadline_overrides,
    failed_items,
    ocr_queue,
    open_review_items,
    received_times,
    recipient_records,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from config.settings import Settings
    from parsers.model import OutlineSpec
    from storage.blobs import BlobStore
    from storage.campaigns import SyncReport
    from storage.status import Reader

# `baocao status` imports this module: what only other commands need (the ORM and the models,
# the blob store, the recipient lists, the parsers' types) is imported where it is used, so
# status reads through Core statements alone (start-up time, tests/flows/cli/test_startup.py).


@dataclass
class App:
    """Settings plus the database and blob store they point at."""

    settings: Settings
    _schema_checked: bool = False

    @cached_property
    def engine(self) -> Engine:
        from storage.db import make_engine  # lazy, like every import of the database layer here

        return make_engine(self.settings.effective_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from storage.db import session_factory  # lazy: the ORM (status reads without it)

        return session_factory(self.engine)

    @cached_property
    def blobs(self) -> BlobStore:
        from storage.blobs import BlobStore  # lazy: the models (status reads no blob)

        return BlobStore(self.settings.blobs_dir)

    @cached_property
    def campaigns(self) -> list[Campaign]:
        return load_campaigns(self.settings.campaigns_dir)

    def campaign(self, campaign_id: str | None = None) -> Campaign:
        """The campaign named, or the only one."""
        return pick_campaign(self.campaigns, campaign_id)

    def chosen_campaigns(self, campaign_id: str | None = None) -> list[Campaign]:
        """The campaign named; when none is named, every active one (the only one when there is one)."""
        if campaign_id or len(self.campaigns) <= 1:
            return [self.campaign(campaign_id)]
        return [c for c in self.campaigns if c.active] or [self.campaign(None)]

    def active_campaigns(self) -> list[Campaign]:
        """Every open campaign, in configuration order (the only one even when closed)."""
        return self.chosen_campaigns(None)

    def session(self) -> Any:
        """A unit of work (context manager): commit on success, roll back on error."""
        from storage.db import unit_of_work  # lazy: see the note at the top

        self._check_schema()
        return unit_of_work(self.sessions)

    def held_units(self) -> Any:
        """Units of work on one connection kept for a loop of many (`storage.db.HeldConnection`:
        a context manager; `.unit()` is one unit of work, as `session()`)."""
        from storage.db import HeldConnection  # lazy: see the note at the top

        self._check_schema()
        return HeldConnection(self.engine, self.sessions)

    def reading(self) -> Any:
        """A read-only unit of work on a Core connection (context manager; one transaction,
        rolled back at the end): for reads that need no ORM, like `status`."""
        from storage.db import read_only  # lazy: see the note at the top

        self._check_schema()
        return read_only(self.engine)

    def _check_schema(self) -> None:
        if not self._schema_checked:
            from storage.db import check_schema  # lazy: see the note at the top

            check_schema(self.engine)
            self._schema_checked = True

    def now(self, campaign: Campaign | None = None) -> dt.datetime:
        """Now, aware: in the campaign's timezone when there is one (as its times are shown and
        typed), else in the configured BAOCAO_TIMEZONE."""
        return clock.now_in(campaign.tz if campaign is not None else ZoneInfo(self.settings.timezone))


def init(app: App) -> list[SyncReport]:
    """Create or upgrade the database and load every campaign with its recipients."""
    from config.recipients import read_recipients  # lazy: only init and the parsers read the lists
    from storage.campaigns import sync_campaign  # lazy: the ORM (status reads without it)
    from storage.db import upgrade  # lazy: see the note at the top

    app.settings.data_dir.mkdir(parents=True, exist_ok=True)
    campaigns = app.campaigns
    recipients = {c.id: read_recipients(c.recipients_path) for c in campaigns}
    upgrade(app.engine)
    reports = []
    with app.session() as session:
        for campaign in campaigns:
            source = str(campaign.source_dir or "")
            reports.append(sync_campaign(campaign, recipients[campaign.id], source, session=session))
    return reports


def outline_spec(campaign: Campaign) -> OutlineSpec:
    """What the parsers need to know of a campaign, as parser types."""
    from config.recipients import read_recipients  # lazy: only init and the parsers read the lists
    from parsers.model import AgencySpec, OutlineSpec, RowSpec, SectionSpec  # lazy: parser types

    outline = campaign.outline
    agencies: tuple[AgencySpec, ...] = ()
    path = campaign.recipients_path
    if path.exists():
        agencies = tuple(
            AgencySpec(r.code, r.name, tuple(r.aliases)) for r in read_recipients(path)
        )
    return OutlineSpec(
        sections=tuple(SectionSpec(s.id, s.heading, tuple(s.synonyms)) for s in outline.sections),
        rows=tuple(RowSpec(r.id, r.group, r.label, tuple(r.synonyms), r.unit or "") for r in outline.table.rows),
        agencies=agencies,
        groups=tuple(SectionSpec(g.id, g.heading) for g in outline.groups),
        topic_words=tuple(campaign.mailbox.subject_hints),
        nil_phrases=tuple(campaign.mailbox.nil_phrases),
        table_title=outline.table.title,
        columns=tuple((role, text) for role, text in outline.table.columns.model_dump().items() if text),
        period=(campaign.period.first, campaign.period.last) if campaign.period else None,
        request_date=campaign.request.date,
    )


def facts_from_record(record: RecipientRecord) -> RecipientFacts:
    """Plain facts for the pure status functions."""
    rec = record.recipient
    return RecipientFacts(
        id=rec.id,
        code=rec.code,
        name=rec.name,
        group=rec.group,
        emails=tuple(c.email for c in record.contacts if c.active),
        bouncing=tuple(c.email for c in record.contacts if c.bouncing),
        bounced_at=tuple((c.email, c.bounced_at) for c in record.contacts if c.bouncing),
        responses=tuple(
            Response(
                submission_id=s.id,
                kind=s.kind,
                received_at=s.received_at,
                status=s.status,
                channel=s.channel,
                missing_sections=tuple(s.missing_sections or ()),
                missing_rows=tuple(s.missing_rows or ()),
                draft=bool(s.draft),
                by_group=tuple(by_group_sections(s.problems or ())),
            )
            for s in record.submissions
        ),
        reminders_sent=record.reminders_sent,
        pending_review=record.pending_review,
        mail_failed=record.mail_failed,
        failed_file_at=record.failed_file_at,
        to_check_at=record.to_check_at,
        in_review=record.in_review,
    )


def deadline_end(campaign: Campaign, day: dt.date) -> dt.datetime:
    """The end of a deadline day in the campaign's timezone (as `Campaign.deadline_at`)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59)).replace(tzinfo=campaign.tz)


def deadlines(campaign: Campaign, *, session: Reader) -> dict[int, dt.date]:
    """Recipient id → its own deadline, for the recipients whose deadline was extended."""
    return deadline_overrides(campaign.id, session=session)


def statuses(campaign: Campaign, *, session: Reader) -> list[RecipientStatus]:
    """Every active recipient's status, in recipient-list order (own deadlines honoured)."""
    own = deadlines(campaign, session=session)
    return [
        recipient_status(
            facts_from_record(r),
            deadline_end(campaign, own[r.recipient.id]) if r.recipient.id in own else campaign.deadline_at,
        )
        for r in recipient_records(campaign.id, session=session)
    ]


def review_json(campaign_id: str | None, *, session: Reader, tz: dt.tzinfo) -> list[dict[str, Any]]:
    """The open review queue as JSON objects. `received_at`: when the mail or file arrived
    (`created_at`: when the item was opened, e.g. at a first pass over old mail)."""
    items = open_review_items(campaign_id, session=session)
    received = received_times(items, session=session)
    return [
        {
            "item": item.id,
            "source": item.source_key,
            "kind": item.kind,
            "submission_id": item.submission_id,
            "reason": item.reason,
            "candidates": item.candidates,
            "created_at": item.created_at.astimezone(tz).isoformat(),
            "received_at": received.get(item.id, item.created_at).astimezone(tz).isoformat(),
        }
        for item in items
    ]


def status_report(app: App, campaign_id: str | None = None, as_of: dt.datetime | None = None) -> dict[str, Any]:
    """The contract of `baocao status --json`."""
    campaign = app.campaign(campaign_id)
    tz = campaign.tz
    as_of = as_of or app.now(campaign)
    with app.reading() as session:
        items = statuses(campaign, session=session)
        review = review_json(campaign.id, session=session, tz=tz)
        failed = failed_items(campaign.id, session=session)
        queued = ocr_queue(campaign.id, session=session)
    return {
        "campaign": campaign.id,
        "title": campaign.title,
        "deadline": campaign.deadline_at.isoformat(),
        "as_of": as_of.astimezone(tz).isoformat(),
        "counts": count_states(items),
        "recipients": [s.to_json(tz) for s in items],
        "review": review,
        # Messages and files that failed: `retry` ones are tried again by the next runs.
        "failed": failed,
        # Scans waiting for their own OCR run ("đang chờ đọc bản quét"): not failed, not late.
        "ocr_queue": queued,
    }


def status_reports(app: App, campaign_id: str | None = None, as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """`status_report` for the campaign named, or for every active campaign."""
    return [status_report(app, c.id, as_of) for c in app.chosen_campaigns(campaign_id)]


def ensure_dir(path: Path) -> Path:
    """Create a folder if needed and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path
