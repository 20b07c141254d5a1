"""What the web pages show, read through the same services as the CLI (`status_report`,
`recipient_history`, the reminder policy, `remind --dry-run`, `send-request --dry-run`) plus a
few read-only queries. Plain functions over `App`; no FastAPI here."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pathvalidate import sanitize_filename
from sqlalchemy import or_, select

from flows.app import App, deadline_end, deadlines, status_report
from flows.history import recipient_history
from flows.intake.health import source_health
from flows.outbound.reminders import active_decision, calendar_for, remind
from flows.outbound.requests import send_request
from flows.report import load_model, shown_figures
from parsers.scan import SECTION_THRESHOLD, VALUE_THRESHOLD
from parsers.textnorm import fold, vn_sort_key
from parsers.vocab import ANSWERED_STATES
from reports.reminders import schedule, slot_outcome
from reports.status import (
    STATE_ORDER,
    STATE_SHORT,
    STATES,
    RecipientFacts,
    Response,
    recipient_status,
)
from storage.campaigns import campaign_recipients, recipient_by_code, recipient_ids
from storage.corrections import acceptances_for, corrections_for
from storage.models import (
    Event,
    InboundFile,
    InboundMail,
    IndicatorValue,
    OutboundMail,
    ReviewItem,
    SectionAnswer,
    Submission,
)
from storage.status import open_review_items
from storage.submissions import submissions_of
from storage.workspace import (
    documents_by_mail,
    inbound_mails,
    last_contacts,
    outgoing,
    submission_documents,
)

CHANNEL_LABELS = {"email": "thư điện tử", "folder": "thư mục chung", "manual": "thủ công",
                  "paper": "bản giấy", "phone": "điện thoại", "hand": "nộp trực tiếp"}
INGEST_EVENTS = {f"event:submission_{kind}" for kind in ("report", "nil_report", "acknowledgement")}
OUTGOING_KINDS = {"request", "reminder", "reminder_incomplete", "receipt", "alert"}
SORTS = {"trang-thai": "Tình trạng", "ten": "Tên đơn vị", "ma": "Mã", "lien-he": "Liên hệ gần nhất"}
FILTERS = {"": "Tất cả", "tra_loi": "Đã trả lời", **{s: STATE_SHORT[s] for s in STATES}, "tre": "Trễ hạn", "thieu": "Còn thiếu nội dung"}


@dataclass
class FileLink:
    """A stored file a person can download or view, by content hash."""

    sha256: str
    name: str
    format: str | None = None
    status: str | None = None
    note: str | None = None


@dataclass
class BoardRow:
    """One agency on the campaign board."""

    code: str
    name: str
    group: str
    state: str
    late: bool
    incomplete: list[str]
    reminders_sent: int
    last_contact: dt.datetime | None
    deadline: dt.date | None
    bouncing: list[str] = field(default_factory=list)
    pending_review: int = 0
    # "Chưa nộp – tệp lỗi": the only report sent could not be read.
    failed_file: bool = False
    # The report that counts has no number and no date (a draft).
    draft: bool = False
    # "Đã gửi tệp – chờ kiểm tra": files that are no outline report wait for a person.
    to_check: bool = False
    # Every address bounced: "địa chỉ … bị trả lại ngày …; cần địa chỉ khác" (not reminded).
    needs_address: str | None = None
    # Sections its report answers with one text for several ("trả lời chung"): answered.
    by_group: list[str] = field(default_factory=list)


def default_campaign(app: App) -> Any:
    """The campaign a bare address (/, /xem-xet…) means: the only one; among several, the open
    one whose request went out last (then the later deadline); closed ones only if none is open."""
    pool = [c for c in app.campaigns if c.active] or app.campaigns
    return max(pool, key=lambda c: (c.request.date or dt.date.min, c.deadline))


def campaign_choices(app: App) -> list[dict[str, Any]]:
    """The campaigns the switcher lists: open ones first (newest request first), then closed."""
    def newest(c: Any) -> tuple[bool, dt.timedelta, dt.timedelta]:
        return (not c.active, dt.date.max - (c.request.date or dt.date.min), dt.date.max - c.deadline)

    return [{"id": c.id, "title": c.title, "active": c.active, "deadline": c.deadline, "number": c.request.number}
            for c in sorted(app.campaigns, key=newest)]


def board(app: App, campaign_id: str | None = None, *, show: str = "", sort: str = "trang-thai", q: str = "") -> dict[str, Any]:
    """The campaign board: the `baocao status` report, filtered and sorted for people."""
    report = status_report(app, campaign_id)
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        contacts = last_contacts(campaign.id, session=session)
        own = deadlines(campaign, session=session)
        ids = recipient_ids(campaign.id, session=session)
    rows = [
        BoardRow(
            r["id"], r["name"], r["group"], r["state"], r["late"], r["incomplete"], r["reminders_sent"],
            contacts.get(ids.get(r["id"], -1)), own.get(ids.get(r["id"], -1)), r["bouncing"], r["pending_review"],
            bool(r.get("failed_file")), bool(r.get("draft")), bool(r.get("to_check")), r.get("needs_address"),
            list(r.get("answered_by_group") or []),
        )
        for r in report["recipients"]
    ]
    rows = [r for r in rows if _shown(r, show, q)]
    sources = source_health(app)  # mailbox health: every mailbox folder and the shared folder
    return {"report": report, "counts": report["counts"], "rows": sort_rows(rows, sort), "show": show, "sort": sort, "q": q,
            "sources": sources}


def _recipients(campaign_id: str, *, session: Any) -> list[Any]:
    return campaign_recipients(campaign_id, session=session)


def _shown(row: BoardRow, show: str, q: str) -> bool:
    if show in STATES and row.state != show:
        return False
    if show == "tra_loi" and row.state not in ANSWERED_STATES:
        return False
    if (show == "tre" and not row.late) or (show == "thieu" and not row.incomplete):
        return False
    return not q or fold(q) in fold(f"{row.code} {row.name}")


def sort_rows(rows: list[BoardRow], sort: str) -> list[BoardRow]:
    """Rows in the chosen order; names always in Vietnamese alphabetical order."""
    by_name = sorted(rows, key=lambda r: vn_sort_key(r.name))
    if sort == "ten":
        return by_name
    if sort == "ma":
        return sorted(rows, key=lambda r: vn_sort_key(r.code))
    if sort == "lien-he":
        never = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(by_name, key=lambda r: r.last_contact or never, reverse=True)
    return sorted(by_name, key=lambda r: STATE_ORDER[r.state])


def agency(app: App, code: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Everything about one agency: its history (timeline), submissions with what was read
    where and people's corrections, files, deadline and reminder schedule."""
    campaign = app.campaign(campaign_id)
    history = recipient_history(app, code, campaign.id)
    with app.session() as session:
        row = recipient_by_code(campaign.id, history["recipient"]["id"], session=session)
        assert row is not None
        own = deadlines(campaign, session=session).get(row.id)
        subs = [_submission_view(s, session=session) for s in reversed(submissions_of(campaign.id, row.id, session=session))]
        _attach_files(history["entries"], history["recipient"]["name"], session=session)
        history["entries"] = _readable(history["entries"], session=session)
        now = app.now(campaign)
        active = active_decision(campaign, row.id, own or campaign.deadline, now, session=session)
    deadline = own or campaign.deadline
    slots = _schedule_view(campaign, deadline, history, [v["sub"] for v in subs], now, active)
    return {
        "campaign": campaign, "history": history, "recipient": history["recipient"], "submissions": subs,
        "deadline": deadline, "extended": own is not None, "schedule": slots,
        "outline": campaign.outline,
    }


def _schedule_view(
    campaign: Any, deadline: dt.date, history: dict[str, Any], subs: list[Submission], now: dt.datetime,
    active: tuple[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The recipient's reminder slots, each with what became of it (`slot_outcome`): sent (and
    when it left), waiting in the outbox, not yet due; for the slot active today, what the
    reminder run decides (`active`: `active_decision`, the run's own decision); for an earlier
    one, why none went out, from the recipient's responses received before the slot opened."""
    policy, tz = campaign.reminders, campaign.tz
    entries = history["entries"]
    outbox: dict[str, str] = {}
    sent_at: dict[str, dt.datetime] = {}
    for e in entries:
        if e["kind"].startswith("reminder") and e.get("slot") and outbox.get(e["slot"]) != "sent":
            outbox[e["slot"]] = e.get("status")
            if e.get("status") == "sent":
                sent_at[e["slot"]] = dt.datetime.fromisoformat(e["at"])
    requests = [dt.datetime.fromisoformat(e["at"]) for e in entries if e["kind"] == "request" and e.get("status") == "sent"]
    contacts = history["recipient"]["contacts"]
    head = history["recipient"]
    today = now.astimezone(tz).date()
    out = []
    for slot in schedule(deadline, policy, calendar_for(campaign)):
        opened = dt.datetime.combine(slot.day, policy.window.start, tz)
        facts = RecipientFacts(
            0, head["id"], head["name"], head.get("group") or "",
            tuple(c["email"] for c in contacts if c["active"]),
            tuple(c["email"] for c in contacts if c["bouncing"]),
            tuple(Response(sub.id, sub.kind, sub.received_at, "valid", sub.channel,
                           tuple(sub.missing_sections or ()), tuple(sub.missing_rows or ()))
                  for sub in subs if _aware(sub.received_at) < opened),
        )
        ends = dt.datetime.combine(slot.until, dt.time(0), tz)
        requested = not requests or min(requests) < ends
        status = recipient_status(facts, deadline_end(campaign, deadline))
        out.append({"name": slot.name, "label": slot_label(slot.name), "day": slot.day, "key": slot.key,
                    "sent": outbox.get(slot.key) == "sent", "overdue": slot.overdue,
                    "outcome": slot_outcome(slot, today, policy, status, outbox.get(slot.key), requested=requested, tz=campaign.tz,
                                            sent_at=sent_at.get(slot.key),
                                            decision=active[1] if active and active[0] == slot.key else None)})
    return out


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def slot_label(name: str) -> str:
    """`before-5` → 'Trước hạn 5 ngày làm việc', `overdue-2` → 'Quá hạn, lần 2'."""
    kind, _, n = name.partition("-")
    if kind == "before":
        return f"Trước hạn {n} ngày làm việc"
    if kind == "overdue":
        return f"Quá hạn, lần {n}"
    return "Nhắc theo yêu cầu" if kind == "manual" else name


def eml_name(at: Any, agency: str, subject: str | None) -> str:
    """A stored mail's download name as staff would file it: '2025-08-18 Sở Y tế - Báo cáo
    ….eml' (NFC, no character a file system refuses, at most 120 characters)."""
    day = dt.datetime.fromisoformat(at).strftime("%Y-%m-%d") if isinstance(at, str) else f"{at:%Y-%m-%d}"
    text = " ".join(f"{day} {agency} - {subject or 'không tiêu đề'}".split())
    name = sanitize_filename(unicodedata.normalize("NFC", text), replacement_text="_", max_len=116).strip(" .")
    return f"{name}.eml"


def _attach_files(entries: list[dict[str, Any]], agency: str, *, session: Any) -> None:
    """Each mail entry of a timeline gets its sender, subject and files (downloadable)."""
    mail_ids = [e["inbound_mail_id"] for e in entries if e.get("inbound_mail_id")]
    mails = inbound_mails(mail_ids, session=session)
    docs = documents_by_mail(mail_ids, session=session)
    for entry in entries:
        files: list[FileLink] = []
        if (mid := entry.get("inbound_mail_id")) and (mail := mails.get(mid)):
            entry["from"], entry["subject"] = mail.from_addr, mail.subject
            files.append(FileLink(mail.raw_sha256, eml_name(entry["at"], agency, mail.subject), "eml", note="thư gốc"))
            files += [FileLink(d.sha256, d.filename, d.format, d.status, d.error_message) for d in docs.get(mid, [])]
        if entry.get("eml_sha256"):
            files.append(FileLink(entry["eml_sha256"], eml_name(entry["at"], agency, entry.get("subject")), "eml", note="thư đã gửi"))
        entry["files"] = files


def _readable(entries: list[dict[str, Any]], *, session: Any) -> list[dict[str, Any]]:
    """Timeline entries as people read them: our mail says whom it went to; the ingestion's
    own "submission_*" events (the same fact as the submission entry) are left out."""
    out_ids = [e["outbound_id"] for e in entries if e.get("outbound_id")]
    rows = session.execute(select(OutboundMail.id, OutboundMail.to_addrs).where(OutboundMail.id.in_(out_ids))) if out_ids else []
    to = {oid: addrs for oid, addrs in rows}
    shown = []
    for entry in entries:
        if entry["kind"] in INGEST_EVENTS:
            continue
        if entry["kind"] in OUTGOING_KINDS:
            entry["to"] = list(to.get(entry.get("outbound_id"), []) or [])
        shown.append(entry)
    return shown


def _submission_view(sub: Submission, *, session: Any) -> dict[str, Any]:
    """A submission as the agency page shows it: values as read, where, and corrections."""
    sections = {a.section_id: a for a in session.scalars(select(SectionAnswer).where(SectionAnswer.submission_id == sub.id))}
    values = {v.row_id: v for v in session.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub.id))}
    fixes: dict[tuple[str, str, str], Any] = {}
    overrides: dict[tuple[str, str], dict[str, Any]] = {}
    for c in corrections_for([sub.id], session=session):  # oldest first: the latest of a field wins
        fixes[(c.target, c.item_id, c.field)] = c
        overrides.setdefault((c.target, c.item_id), {})[c.field] = c.new_value.get("value")
    docs = submission_documents(sub, session=session)
    mail = session.get(InboundMail, sub.inbound_mail_id) if sub.inbound_mail_id else None
    main = next((d for d in docs if d.id == sub.document_id), None)
    score = ((main.parse_result or {}).get("agency") or {}).get("score") if main else None
    assigned_by = _assigned_by(sub, session=session)
    return {
        "sub": sub, "sections": sections, "indicators": values, "fixes": fixes,
        # The figures as the report prints them: corrections in, the rate recomputed from them.
        "shown": shown_figures(values.values(), overrides),
        "files": [FileLink(d.sha256, d.filename, d.format, d.status, d.error_message) for d in docs],
        "accepted": acceptances_for([sub.id], session=session).get(sub.id),
        "attributed_by": mail.attributed_by if mail else None,
        # A person's choice has no confidence: "do cán bộ <name> gán", never "độ tin cậy 0%".
        "assigned_by": assigned_by,
        "agency_score": None if assigned_by or (mail and "review" in (mail.attributed_by or "")) else score,
        **scan_view(main),
    }


def _assigned_by(sub: Submission, *, session: Any) -> str | None:
    """Who assigned the mail or file of a submission to its agency (a review item), if anyone."""
    clauses = []
    if sub.inbound_mail_id:
        clauses.append(ReviewItem.inbound_mail_id == sub.inbound_mail_id)
    if sub.inbound_file_id:
        clauses.append(ReviewItem.inbound_file_id == sub.inbound_file_id)
    if not clauses:
        return None
    return session.scalars(
        select(ReviewItem.resolved_by).where(or_(*clauses), ReviewItem.resolved_recipient_id == sub.recipient_id,
                                             ReviewItem.status == "resolved", ReviewItem.resolved_by.is_not(None))
        .order_by(ReviewItem.resolved_at.desc())
    ).first()


def scan_view(main: Any) -> dict[str, Any]:
    """What the page shows of a scan (OCR) and of digital signatures of the main document:
    how it was read, each figure's OCR confidence and a crop link for the doubtful ones."""
    parsed = (main.parse_result or {}) if main is not None else {}
    ocr = parsed.get("ocr")
    values: dict[tuple[str, str], dict[str, Any]] = {}
    sections: dict[str, float] = {}
    if ocr:
        skew = ocr.get("skew") or []
        for row_id, row in (parsed.get("indicators") or {}).items():
            for role, value in (row.get("values") or {}).items():
                conf = value.get("ocr_confidence")
                if conf is None:
                    continue
                box = value.get("ocr_box")
                crop = None
                if box and conf < VALUE_THRESHOLD:
                    page = int(box[0])
                    angle = skew[page - 1] if page - 1 < len(skew) else 0.0
                    crop = f"/tep/{main.sha256}/cat?trang={page}&hop={','.join(str(v) for v in box[1:])}&nghieng={angle}"
                values[(row_id, role)] = {"confidence": conf, "low": conf < VALUE_THRESHOLD, "crop": crop}
        for sid, sec in (parsed.get("sections") or {}).items():
            if sec.get("ocr_confidence") is not None:
                sections[sid] = sec["ocr_confidence"]
    return {"ocr": ocr, "ocr_values": values, "ocr_sections": sections, "section_threshold": SECTION_THRESHOLD,
            "signatures": (main.signatures if main is not None else None) or parsed.get("signatures") or []}


def review_queue(app: App, campaign_id: str | None = None) -> dict[str, Any]:
    """Open review items with their mail, files and candidates (the `baocao review` queue)."""
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        items = open_review_items(campaign.id, session=session)
        mail_ids = [i.inbound_mail_id for i in items if i.inbound_mail_id]
        mails = inbound_mails(mail_ids, session=session)
        docs = documents_by_mail(mail_ids, session=session)
        recipients = [(r.code, r.name) for r in _recipients(campaign.id, session=session)]
        views = [_review_view(i, mails, docs, session=session) for i in items]
    recipients.sort(key=lambda r: vn_sort_key(r[1]))
    return {"items": views, "recipients": recipients, "campaign": campaign}


def _review_view(item: Any, mails: dict[int, Any], docs: dict[int, list[Any]], *, session: Any) -> dict[str, Any]:
    """One open item (a review_item row, storage.status.open_review_items) as the queue shows it."""
    mail = mails.get(item.inbound_mail_id or -1)
    files = [FileLink(d.sha256, d.filename, d.format, d.status, d.error_message) for d in docs.get(item.inbound_mail_id or -1, [])]
    if mail is not None:
        at = mail.date_header or mail.internal_date or mail.created_at
        files.insert(0, FileLink(mail.raw_sha256, eml_name(at, mail.from_addr or "chưa rõ đơn vị", mail.subject), "eml", note="thư gốc"))
    if item.inbound_file_id:
        dropped = session.get(InboundFile, item.inbound_file_id)
        if dropped is not None:
            files.append(FileLink(dropped.sha256, dropped.path.rsplit("/", 1)[-1], None, dropped.status))
    return {"item": item, "mail": mail, "files": files, "candidates": item.candidates or []}


def report_page(app: App, campaign_id: str | None = None) -> dict[str, Any]:
    """Build history (newest first, with the files' hashes), open problems of the figures."""
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        builds = list(session.scalars(
            select(Event).where(Event.campaign_id == campaign.id, Event.kind == "report_built")
            .order_by(Event.at.desc(), Event.id.desc()).limit(50)
        ))
        history = [{"at": e.at, "actor": e.actor, "message": e.message, "blobs": (e.data or {}).get("blobs") or {},
                    "stats": (e.data or {}).get("stats") or {}} for e in builds]
    model = load_model(app, campaign, app.now(campaign))
    return {"campaign": campaign, "builds": history, "latest": history[0] if history else None,
            "problems": model.problems, "totals": model.totals_json(), "stats": model.stats,
            "totals_note": model.totals_note,
            "sources": model.sources}


def outgoing_page(app: App, campaign_id: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every mail sent, and what the next reminder run would send (a dry run)."""
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        mails = outgoing(campaign.id, session=session)
    at = next_reminder_run(app, campaign, now or app.now(campaign))
    preview = remind(app, campaign.id, at, dry_run=True) if at else None
    return {"campaign": campaign, "mails": mails, "next_at": at, "preview": preview}


def next_reminder_run(app: App, campaign: Any, now: dt.datetime) -> dt.datetime | None:
    """When the scheduled run next goes out: the start of the sending window of the next
    working day (today's, if it has not opened yet) on which a slot is active; what the run
    at this moment sends is already sent or on its way, so "now" is never the preview."""
    calendar, policy, tz = calendar_for(campaign), campaign.reminders, campaign.tz
    local = now.astimezone(tz)
    with app.session() as session:
        days = {campaign.deadline, *deadlines(campaign, session=session).values()}
    slots = [slot for deadline in days for slot in schedule(deadline, policy, calendar)]
    if not slots:
        return None
    day = local.date() if local.time().replace(tzinfo=None) < policy.window.start else local.date() + dt.timedelta(days=1)
    last = max(slot.until for slot in slots)
    while day < last:
        if calendar.is_working_day(day) and any(slot.day <= day < slot.until for slot in slots):
            return dt.datetime.combine(day, policy.window.start, tz)
        day += dt.timedelta(days=1)
    return None


def campaign_page(app: App, campaign_id: str | None = None) -> dict[str, Any]:
    """The campaign as configured, its recipients and a pre-flight of the request (dry run)."""
    campaign = app.campaign(campaign_id)
    preview = send_request(app, campaign.id, dry_run=True)
    report = status_report(app, campaign.id)
    return {"campaign": campaign, "preview": preview, "recipients": report["recipients"]}
