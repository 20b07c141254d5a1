"""What a person does from the web workspace, as plain functions over `App` (no FastAPI here):
correct a value, accept a submission, record a response that came on paper, by phone or by
hand, extend one agency's deadline, remind it now, fix its addresses, send the công văn. Each
opens its own unit of work and writes one Event naming the person (`actor`), shown in the
agency's timeline (the công văn's, for the whole campaign).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy.orm import Session

from flows.app import App, outline_spec
from flows.errors import FlowsError
from flows.intake.context import default_parse
from flows.outbound.preflight import deadline_warning
from flows.outbound.reminders import remind
from flows.outbound.requests import send_request as send
from parsers.model import OutlineSpec, ParseResult, Problem, ProblemCode
from parsers.numbers import parse_number, vn_number
from parsers.vocab import display_id
from reports.consolidate import vn_rate
from storage.blobs import store_blob
from storage.campaigns import recipient_by_code
from storage.corrections import (
    INDICATOR_FIELDS,
    accept_submission,
    add_correction,
    last_correction,
    set_deadline,
)
from storage.models import Document, Event, IndicatorValue, RecipientRow, SectionAnswer, Submission
from storage.submissions import open_file_problem, record_submission, submission_by_content
from storage.workspace import ContactError, add_contact, replace_contact, set_bouncing

CHANNELS = {"paper": "bản giấy", "phone": "điện thoại", "hand": "nộp trực tiếp"}
KINDS = {"report": "báo cáo", "nil_report": "báo cáo không phát sinh", "acknowledgement": "hẹn gửi"}
# The words of the report (reports/word.py, reports/excel.py: "Kế hoạch", "Kết quả", "Tỷ lệ").
FIELD_LABELS = {"plan": "kế hoạch", "result": "kết quả", "rate": "tỷ lệ (%)", "text": "nội dung"}


class ActionError(FlowsError):
    """The action cannot be done as asked; the message says why, in Vietnamese."""


def _recipient(app: App, code: str, campaign_id: str | None, *, session: Session) -> RecipientRow:
    campaign = app.campaign(campaign_id)
    row = recipient_by_code(campaign.id, code.strip().lower(), session=session)
    if row is None:
        raise ActionError(f"không có đơn vị mã {code!r}")
    return row


def _submission(row: RecipientRow, submission_id: int, *, session: Session) -> Submission:
    sub = session.get(Submission, submission_id)
    if sub is None or sub.recipient_id != row.id:
        raise ActionError(f"không tìm thấy lần nộp này của {row.name}; hãy tải lại trang")
    return sub


def _which(sub: Submission, app: App) -> str:
    """A submission as people name it: by when it came, not by its database id."""
    at = sub.received_at if sub.received_at.tzinfo else sub.received_at.replace(tzinfo=dt.UTC)
    return f"lần nộp nhận {at.astimezone(app.campaign(sub.campaign_id).tz):%d/%m/%Y %H:%M}"


def _event(row: RecipientRow, kind: str, actor: str, message: str, data: dict[str, Any], *, session: Session) -> None:
    session.add(Event(campaign_id=row.campaign_id, recipient_id=row.id, kind=kind, actor=actor, message=message, data=data))


def correct_value(
    app: App, code: str, submission_id: int, target: str, item_id: str, field: str, value: str, reason: str,
    actor: str, campaign_id: str | None = None,
) -> dict[str, Any]:
    """Record a corrected figure (plan / result / rate of a row) or section text; the original stays."""
    if not reason.strip():
        raise ActionError("hãy ghi lý do sửa")
    item_id = outline_item(app.campaign(campaign_id), target, item_id)
    with app.session() as session:
        row = _recipient(app, code, campaign_id, session=session)
        sub = _submission(row, submission_id, session=session)
        if target == "indicator" and field in INDICATOR_FIELDS:
            new: Any = _number(value, field)
            original = next((v for v in session.query(IndicatorValue).filter_by(submission_id=sub.id, row_id=item_id)), None)
            old = getattr(original, field) if original else None
        elif target == "section" and field == "text":
            new = value.strip()
            answer = next((a for a in session.query(SectionAnswer).filter_by(submission_id=sub.id, section_id=item_id)), None)
            old = answer.text if answer else None
        else:
            raise ActionError("không sửa được mục này")
        # The value being replaced is the one in use: an earlier correction's, if any.
        earlier = last_correction(sub.id, target, item_id, field, session=session)
        if earlier is not None:
            old = earlier.new_value.get("value")
        fix = add_correction(sub.id, target, item_id, field, old, new, reason.strip(), actor, session=session)
        what = f"số liệu dòng {item_id}, cột {FIELD_LABELS[field]}" if target == "indicator" else f"nội dung mục {display_id(item_id)}"
        if target == "indicator":
            before, shown = _figure(old, field), _figure(new, field)
        else:
            before = "(bản đã sửa trước)" if earlier is not None else "(bản đọc được)"
            shown = f"{str(new)[:80]}…" if len(str(new)) > 80 else new
        _event(row, "value_corrected", actor, f"Sửa {what}: {before} → {shown}; lý do: {reason.strip()}",
               {"correction_id": fix.id, "submission_id": sub.id, "target": target, "item": item_id, "field": field}, session=session)
        return {"correction_id": fix.id, "old": old, "new": new}


def _figure(value: Any, field: str) -> str:
    """A figure as the report prints it (1.250; a rate 72,0%), '(trống)' for none."""
    if value is None:
        return "(trống)"
    return vn_rate(value) if field == "rate" else vn_number(value, blank="(trống)")


def outline_item(campaign: Any, target: str, item_id: str) -> str:
    """The outline's own id of a table row or section a person names ('2.2.đ', '2.2.Đ' and
    '2.2.dd' are one section, stored as '2.2.dd'); an ActionError for one the outline lacks
    (a correction to it would be logged but never reach the report)."""
    text = unicodedata.normalize("NFC", (item_id or "").strip()).lower().removesuffix(".")
    canonical = ".".join("dd" if part == "đ" else part for part in text.split("."))
    if target == "indicator":
        known = [r.id for r in campaign.outline.table.rows]
        what = "dòng"
    elif target == "section":
        known = [sec.id for sec in campaign.outline.sections]
        what = "mục"
    else:
        raise ActionError("không sửa được mục này")
    found = next((k for k in known if k.lower() == canonical), None)
    if found is None:
        raise ActionError(f"đề cương không có {what} «{item_id.strip()[:20]}»; hãy tải lại trang rồi thử lại")
    return found


# What a person may type for a figure: ASCII digits with '.' / ',' separators, spaces, and a
# '%' after a rate. Python (and parse_number) also read '٣' or '３' as 3; a figure typed that
# way is refused rather than silently read.
_TYPED_NUMBER = re.compile(r"[0-9][0-9., ]*%?")


def _number(value: str, field: str = "plan") -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    if text.startswith("-"):
        raise ActionError(f"{FIELD_LABELS.get(field, 'số liệu')} không được là số âm («{value}»)")
    if not _TYPED_NUMBER.fullmatch(text) or (text.endswith("%") and field != "rate"):
        raise ActionError(f"không đọc được số «{value}»: chỉ dùng chữ số 0–9 (viết ví dụ 1.250 hoặc 12,5)")
    parsed = parse_number(text)
    if parsed.value is None or parsed.ambiguous or parsed.several:
        raise ActionError(f"không đọc được số {value!r} (viết ví dụ 1.250 hoặc 12,5)")
    return parsed.value


def accept(app: App, code: str, submission_id: int, note: str, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Mark a submission checked and accepted."""
    with app.session() as session:
        row = _recipient(app, code, campaign_id, session=session)
        sub = _submission(row, submission_id, session=session)
        _, created = accept_submission(sub.id, actor, note.strip(), session=session)
        scanned = _is_scan(sub.document_id, session=session)
        if created:
            what = f"Xác nhận số liệu (đọc từ bản quét) của {_which(sub, app)}" if scanned else f"Chấp nhận {_which(sub, app)}"
            _event(row, "submission_accepted", actor, what + (f": {note.strip()}" if note.strip() else ""),
                   {"submission_id": sub.id, "scan_confirmed": scanned}, session=session)
        return {"submission_id": sub.id, "created": created}


def _is_scan(document_id: int | None, *, session: Any) -> bool:
    """The submission's main document was read by OCR."""
    doc = session.get(Document, document_id) if document_id else None
    return bool(doc is not None and (doc.parse_result or {}).get("ocr"))


FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


def form_token() -> str:
    """The hidden field a "record a response" form is issued with: posting the same form twice
    (a double click, a resent request) records one submission (its content key)."""
    return uuid.uuid4().hex


def _parse_upload(app: App, data: bytes, name: str, spec: OutlineSpec) -> ParseResult:
    """An uploaded report read as an attachment is: the time budget, the trust folder's roots."""
    return default_parse(app.settings.max_file_bytes, trust_dir=app.settings.trust_dir)(data, name, spec)


def record_response(
    app: App, code: str, channel: str, kind: str, received_at: dt.datetime, note: str,
    upload: tuple[str, bytes] | None, actor: str, campaign_id: str | None = None, token: str | None = None,
) -> dict[str, Any]:
    """A response that came on paper, by phone or by hand: a Submission with that channel,
    with its scan or file kept as a blob (a Word/Excel/PDF file is read like any attachment).

    Idempotent: the content key is the uploaded file's hash, else the form's token (`form_token`;
    a fresh one when none is given), held unique by the database. The file is read before the
    write transaction opens; a file that cannot be read is kept with the reason on its document
    and a review item on the submission (the page says so)."""
    if channel not in CHANNELS or kind not in KINDS:
        raise ActionError("hãy chọn cách nhận và loại trả lời")
    if token is not None and not FORM_TOKEN.fullmatch(token):
        raise ActionError("biểu mẫu đã cũ; hãy tải lại trang rồi ghi nhận lại")
    campaign = app.campaign(campaign_id)
    spec = outline_spec(campaign)
    with app.session() as session:  # an unknown agency is refused before anything is read
        _recipient(app, code, campaign.id, session=session)
    data = upload[1] if upload is not None and upload[1] else None
    name = display_name(upload[0]) if upload is not None and data is not None else ""
    result = _parse_upload(app, data, name, spec) if data is not None and kind == "report" else None
    error = result.error if result is not None else None
    parsed = result if result is not None and error is None and result.kind == "report" else None
    key = f"{channel}:{hashlib.sha256(data).hexdigest()}" if data is not None else f"{channel}:form:{token or form_token()}"
    with app.session() as session:
        row = _recipient(app, code, campaign.id, session=session)
        held = submission_by_content(campaign.id, row.id, key, session=session)
        if held is not None:  # this form (or this file) was recorded already: nothing twice
            return {"submission_id": held.id, "created": False, "document_id": held.document_id, "error": None}
        doc_id = None
        if data is not None:
            blob = store_blob(app.blobs, data, session=session)
            doc = Document(sha256=blob.sha256, filename=name, part_index=0,
                           status="rejected" if error else "parsed" if parsed else "skipped",
                           error_code=error.code if error else None, error_message=error.message if error else None,
                           kind=result.kind if result else None, format=result.format if result else None,
                           parse_result=result.to_json() if result else {},
                           signatures=[f.to_json() for f in result.signatures] if result else [],
                           ocr=result.ocr.to_json() if result and result.ocr else None)
            session.add(doc)
            session.flush()
            doc_id = doc.id
        recorded = record_submission(
            session=session, campaign_id=campaign.id, recipient_id=row.id, kind=kind, received_at=received_at,
            channel=channel, content_key=key, parsed=parsed, document_id=doc_id,
            # Without a readable file a person vouches for the content: nothing is "missing".
            section_ids=[s.id for s in spec.sections] if parsed else None,
            row_ids=[r.id for r in spec.rows] if parsed else None, actor=actor,
        )
        if error is not None and recorded.created:  # kept, said, and left for a person to check
            open_file_problem(recorded.submission, row.id,
                              Problem(ProblemCode.NO_READABLE_FILE, f"{error.message} ({error.code})", where=name),
                              session=session)
        message = f"Ghi nhận {KINDS[kind]} nhận qua {CHANNELS[channel]}" + (f": {note.strip()}" if note.strip() else "")
        _event(row, "response_recorded", actor, message,
               {"submission_id": recorded.submission.id, "channel": channel, "document_id": doc_id,
                **({"error": error.to_json()} if error else {})}, session=session)
        return {"submission_id": recorded.submission.id, "created": recorded.created, "document_id": doc_id,
                "error": error.message if error else None}


def display_name(given: str) -> str:
    """An uploaded file's name as people see it: their own (NFC, without folders or control
    characters, quotes kept). It is never a path: files are stored by hash, and a download
    gets a name sanitised for the file system then (flows/web/app.py `_blob`)."""
    name = unicodedata.normalize("NFC", given or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:200] or "tep-dinh-kem"


def extend_deadline(app: App, code: str, day: dt.date, reason: str, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Give one agency a later deadline; its reminders follow a fresh schedule keyed by it."""
    campaign = app.campaign(campaign_id)
    if day < campaign.deadline:
        raise ActionError(f"hạn mới phải từ {campaign.deadline:%d/%m/%Y} (hạn chung) trở đi")
    with app.session() as session:
        row = _recipient(app, code, campaign.id, session=session)
        set_deadline(campaign.id, row.id, day, reason.strip(), actor, session=session)
        _event(row, "deadline_extended", actor, f"Gia hạn nộp báo cáo đến {day:%d/%m/%Y}" + (f": {reason.strip()}" if reason.strip() else ""),
               {"deadline": day.isoformat()}, session=session)
    # A day off is allowed (the letter may say so) but said: reminders count working days.
    return {"recipient": row.code, "deadline": day.isoformat(), "warning": deadline_warning(campaign, day)}


def remind_now(app: App, code: str, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """One reminder to one agency now, through the exactly-once ledger (one manual slot a day)."""
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        row = _recipient(app, code, campaign.id, session=session)
    result = remind(app, campaign.id, only=[row.code], manual=True, actor=actor)
    sent, skipped = len(result["sent"]), [s["reason"] for s in result["skipped"]]
    failed = [f.get("error", "") for f in result["failed"]]
    if sent:
        to = sorted({addr for s in result["sent"] for addr in s.get("to") or []})
        message = f"Đã gửi thư nhắc tới {', '.join(to) or row.name}"
    elif failed:
        message = f"Gửi thư nhắc không thành công: {'; '.join(failed)}"
    else:
        message = f"Không gửi thư nhắc: {'; '.join(skipped) or 'không có thư nào đến lượt'}"
    with app.session() as session:
        _event(row, "reminder_requested", actor, message, {"slot": result.get("slot"), "sent": sent}, session=session)
    return {"sent": sent, "message": message}


def edit_contact(app: App, code: str, old: str, new: str, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Add an address (no `old`) or fix one (the old one is kept, inactive)."""
    new = mail_address(new)
    with app.session() as session:
        row = _recipient(app, code, campaign_id, session=session)
        try:
            contact = replace_contact(row, old, new, session=session) if old else add_contact(row, new, session=session)
        except ContactError as err:
            raise ActionError(str(err)) from err
        message = f"Sửa địa chỉ {old} → {contact.email}" if old else f"Thêm địa chỉ {contact.email}"
        _event(row, "contact_changed", actor, message, {"old": old or None, "new": contact.email}, session=session)
        return {"email": contact.email}


def mail_address(typed: str) -> str:
    """An address as typed, made one our SMTP side can send to: the domain in its ASCII (IDNA)
    form ('sở.vn' → 'xn--s-…'); a local part with accents or other non-ASCII letters is refused
    (that needs SMTPUTF8, which flows/adapters/smtp.py does not ask the server for)."""
    text = unicodedata.normalize("NFC", (typed or "").strip())
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ActionError(f"địa chỉ email không hợp lệ: «{typed.strip()[:80]}» (viết ví dụ vanthu@sokhcn.gov.vn)")
    if not local.isascii():
        raise ActionError(
            f"địa chỉ «{text[:80]}» có chữ có dấu (hoặc ký tự ngoài bảng chữ Latin) ở phần trước dấu @: "
            "máy chủ thư không gửi được tới địa chỉ như vậy; hãy hỏi lại đơn vị địa chỉ viết không dấu")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ActionError(f"tên miền của địa chỉ «{text[:80]}» không hợp lệ") from None
    return f"{local}@{domain}"


def mark_bouncing(app: App, code: str, email: str, *, bouncing: bool, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Mark an address as bouncing or not (reminders avoid bouncing addresses)."""
    with app.session() as session:
        row = _recipient(app, code, campaign_id, session=session)
        try:
            contact = set_bouncing(row, email, f"cán bộ {actor} đánh dấu", bouncing=bouncing, session=session)
        except ContactError as err:
            raise ActionError(str(err)) from err
        what = "bị trả lại" if bouncing else "dùng được (không còn bị trả lại)"
        _event(row, "contact_bouncing", actor, f"Đánh dấu địa chỉ {contact.email} {what}",
               {"email": contact.email, "bouncing": bouncing}, session=session)
        return {"email": contact.email, "bouncing": bouncing}


def send_request(app: App, actor: str, campaign_id: str | None = None) -> dict[str, Any]:
    """Send the công văn to everyone who has not had it (refused while it is unfinished:
    `UnfinishedRequest`), and write one Event naming the person who sent it."""
    campaign = app.campaign(campaign_id)
    result = send(app, campaign.id, check=True, actor=actor)
    sent, failed = len(result["sent"]), len(result["failed"])
    message = f"Gửi công văn tới {sent} đơn vị" + (f"; lỗi {failed}" if failed else "")
    with app.session() as session:
        session.add(Event(
            campaign_id=campaign.id, kind="request_sent", actor=actor, message=message,
            data={"sent": [m.get("recipient") or m.get("code") for m in result["sent"]],
                  "failed": len(result["failed"]), "skipped": len(result["skipped"])},
        ))
    return result
