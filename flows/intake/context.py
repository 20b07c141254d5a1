"""What every ingest run shares: its context (campaign, outline, recipients, parser), its
report (the `--json` contract of `baocao ingest mail|folder`) and its one event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from config.campaign import Campaign
from flows.app import App, outline_spec
from flows.errors import FlowsError
from flows.faults import HOOKS, hook  # noqa: F401 — re-exported: tests register crash points here
from flows.intake.budget import within_budget
from flows.intake.scanq import DeferScans
from parsers.api import parse_bytes
from parsers.legacy import LibreOfficeConverter
from parsers.mail_classify import STATE_KINDS, AgencyRef, MailHints
from parsers.model import OutlineSpec, ParseResult
from parsers.safety import Limits
from parsers.vocab import ItemStatus
from storage.ingest import agency_refs
from storage.models import Event
from storage.outbound import our_threads

ParseFn = Callable[[bytes, str, OutlineSpec], ParseResult]


@dataclass
class IngestReport:
    """What one ingest run did (the `--json` contract of `baocao ingest mail|folder`)."""

    source: str
    campaign: str
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    review: int = 0
    ignored: int = 0
    skipped: int = 0
    queued: int = 0  # scans left to the OCR queue (flows/intake/scanq.py)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    receipts: dict[str, Any] | None = None

    def add(self, outcome: dict[str, Any]) -> None:
        """Count one item's outcome."""
        self.items.append(outcome)
        status = outcome.get("status")
        if status == ItemStatus.DUPLICATE or outcome.get("seen"):  # seen: handled by an earlier run
            self.duplicate += 1
        elif status == ItemStatus.FAILED:
            self.failed += 1
        elif status == ItemStatus.REVIEW:
            self.review += 1
        elif status == ItemStatus.OCR_QUEUED:
            self.queued += 1
        elif status == "skipped":  # not taken (symlink, hidden, FIFO, empty, changed): reason given
            self.skipped += 1
        elif status in (ItemStatus.PROCESSED, ItemStatus.RECEIVED):
            if outcome.get("classification") in STATE_KINDS:
                self.new += 1
            else:
                self.ignored += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "campaign": self.campaign,
            "counts": {
                "new": self.new,
                "duplicate": self.duplicate,
                "failed": self.failed,
                "review": self.review,
                "ignored": self.ignored,
                "skipped": self.skipped,
                "queued": self.queued,
                "total": len(self.items) - self.skipped,
            },
            "items": self.items,
            "errors": self.errors,
            "receipts": self.receipts,
        }


@dataclass
class Context:
    """What every item of a run needs."""

    app: App
    campaign: Campaign
    hints: MailHints
    parse: ParseFn
    # What the parsers know of the campaign (outline, agencies from its recipient list): built
    # on first use (`spec`), so that a poll with nothing new does not read the recipient list.
    spec_built: OutlineSpec | None = field(default=None, repr=False)
    # The campaign's recipients and, by Message-ID, each request and reminder we sent → the
    # recipient it went to: read from the database on first use (`load`), so that a poll
    # with nothing new reads neither (both grow with the campaign, 3,000 recipients at
    # province scale, and with every reminder sent).
    people: tuple[list[AgencyRef], dict[str, int]] | None = field(default=None, repr=False)

    def load(self) -> Context:
        """Read the recipients and our threads of this campaign and its siblings now, before a
        unit of work opens its session (a first use inside one would read in a second)."""
        for c in self.every:
            if c.people is None:
                with c.app.session() as session:
                    c.people = (agency_refs(c.campaign.id, session=session), our_threads(c.campaign.id, session=session))
        return self

    @property
    def spec(self) -> OutlineSpec:
        """The campaign's outline spec for the parsers (flows.app.outline_spec), built once."""
        if self.spec_built is None:
            self.spec_built = outline_spec(self.campaign)
        return self.spec_built

    @property
    def agencies(self) -> list[AgencyRef]:
        """The campaign's recipients (routing and classification)."""
        return self._people()[0]

    @property
    def threads(self) -> dict[str, int]:
        """Message-ID of each request and reminder we sent → the recipient it went to."""
        return self._people()[1]

    def _people(self) -> tuple[list[AgencyRef], dict[str, int]]:
        if self.people is None:
            self.load()
        assert self.people is not None
        return self.people

    def thread_recipient(self, in_reply_to: str | None, references: tuple[str, ...]) -> int | None:
        """The recipient whose request or reminder this message replies to (In-Reply-To first,
        then the newest References entry we know)."""
        for mid in (in_reply_to, *reversed(references)):
            if mid and mid in self.threads:
                return self.threads[mid]
        return None
    # The other open campaigns the same mailbox poll feeds (flows/intake/inbox.py routes).
    siblings: list[Context] = field(default_factory=list)
    # The shared folder with several open campaigns and none named: a file outside every
    # campaign's subfolder is routed by its document (flows/intake/folder.py).
    routing: bool = False

    @property
    def every(self) -> list[Context]:
        """This campaign's context and its siblings'."""
        return [self, *self.siblings]

    @property
    def section_ids(self) -> list[str]:
        """The sections a report must answer (campaign policy: completeness)."""
        return self.campaign.required_sections

    @property
    def row_ids(self) -> list[str]:
        """The table rows a report must answer (campaign policy: completeness)."""
        return self.campaign.required_rows

    def code_of(self, recipient_id: int | None) -> str | None:
        """A recipient's code (ma_don_vi) from its database id."""
        return next((a.code for a in self.agencies if a.recipient_id == recipient_id), None)


def default_parse(
    max_file_bytes: int | None = None, budget_seconds: float | None = None, *, trust_dir: Path | None = None,
    memory_mb: int | None = None,
) -> ParseFn:
    """The file parsers' entry point, with the configured size cap (BAOCAO_MAX_FILE_BYTES),
    the trust roots of digital signatures (BAOCAO_TRUST_DIR) and, when given, the time budget
    of one file (BAOCAO_FILE_BUDGET_SECONDS) and its memory cap (BAOCAO_PARSE_MEMORY_MB)."""
    trust = trust_roots(trust_dir)
    if max_file_bytes is None and trust is None and not budget_seconds:
        return parse_bytes
    limits = Limits(max_file_bytes=max_file_bytes) if max_file_bytes is not None else None
    converter = LibreOfficeConverter(timeout=max(1.0, budget_seconds * 0.9)) if budget_seconds else None
    parse: ParseFn = partial(parse_bytes, limits=limits, converter=converter, trust=trust)
    return within_budget(parse, budget_seconds, memory_mb) if budget_seconds else parse


_CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")


def trust_roots(trust_dir: Path | None) -> tuple[bytes, ...] | None:
    """The certificates of the trust folder (None when none is configured)."""
    if trust_dir is None:
        return None
    if not trust_dir.is_dir():
        raise FlowsError(f"BAOCAO_TRUST_DIR «{trust_dir}» không phải thư mục chứa chứng thư CA.")
    return tuple(p.read_bytes() for p in sorted(trust_dir.iterdir()) if p.suffix.lower() in _CERT_SUFFIXES)


def make_context(app: App, campaign_id: str | None, parse: ParseFn | None = None) -> Context:
    """Campaign and hints for a run (its outline spec and recipients are built on first use)."""
    campaign = app.campaign(campaign_id)
    ours = {a.lower() for a in (app.settings.smtp.sender, app.settings.imap.user) if a and "@" in a}
    hints = MailHints(
        our_addresses=frozenset(ours),
        topic_words=tuple(campaign.mailbox.subject_hints),
        nil_phrases=tuple(campaign.mailbox.nil_phrases),
        ack_phrases=tuple(campaign.mailbox.ack_phrases),
        request_subject=campaign.request.subject or "",
    )
    if parse is None:
        parse = default_parse(
            app.settings.max_file_bytes, app.settings.file_budget_seconds, trust_dir=app.settings.trust_dir,
            memory_mb=app.settings.parse_memory_mb,
        )
        if app.settings.ocr_queue:  # scans wait for their own run (flows/intake/scanq.py)
            parse = DeferScans(parse)
    return Context(app, campaign, hints, parse)


def log_run(ctx: Context, report: IngestReport) -> None:
    """One event per run that found something (quiet polls leave no trace)."""
    if not report.items:
        return
    data = report.to_json()["counts"]
    what = "thư" if report.source == "mail" else "tệp"
    with ctx.app.session() as session:
        session.add(
            Event(
                campaign_id=ctx.campaign.id,
                kind=f"ingest_{report.source}",
                message=(
                    f"Nhận {data['total']} {what}: mới {data['new']}, trùng {data['duplicate']},"
                    f" chờ xem xét {data['review']}, lỗi {data['failed']}"
                ),
                data=data,
            )
        )
