"""One vocabulary: every state, kind and classification, with its Vietnamese label.

The values are the strings stored in the database and written in JSON, so a member compares
equal to its plain string. Every label shown to people (CLI, dashboard, Excel, history,
mails, web) comes from here: `Enum.label` for the long form, `.short` for tables.
It lives in parsers/ because everything may import parsers (parsers import nothing of ours).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class _Labelled(StrEnum):
    """A StrEnum whose members carry a Vietnamese label (and a short one for tables)."""

    _labels_: ClassVar[dict[str, tuple[str, str]]]

    @property
    def label(self) -> str:
        return type(self)._labels_[str(self)][0]

    @property
    def short(self) -> str:
        return type(self)._labels_[str(self)][1]

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value → label, for lookup tables keyed by stored strings."""
        return {str(m): m.label for m in cls}

    @classmethod
    def shorts(cls) -> dict[str, str]:
        return {str(m): m.short for m in cls}


def _labelled(cls: type[_Labelled], table: dict[str, tuple[str, str]]) -> None:
    missing = {m.value for m in cls} - set(table)
    assert not missing, f"{cls.__name__}: no label for {missing}"
    cls._labels_ = table


class MailKind(_Labelled):
    """What an incoming message is (parsers.mail_classify)."""

    SUBMISSION = "submission"
    NIL_REPORT = "nil_report"
    ACKNOWLEDGEMENT = "acknowledgement"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OWN = "own"
    UNRELATED = "unrelated"
    # The report only as a link (share service, document-management system): to review.
    LINK_ONLY = "link_only"
    # Files that are not outline reports, from an agency or about the campaign: a person looks.
    FILES_TO_CHECK = "files_to_check"


_labelled(
    MailKind,
    {
        "submission": ("báo cáo", "báo cáo"),
        "nil_report": ("báo cáo không phát sinh nội dung", "không phát sinh"),
        "acknowledgement": ("thư hẹn gửi báo cáo", "hẹn gửi"),
        "auto_reply": ("trả lời tự động", "tự động"),
        "bounce": ("thư bị trả lại", "bị trả lại"),
        "own": ("thư của hệ thống", "của hệ thống"),
        "unrelated": ("không liên quan", "không liên quan"),
        "link_only": ("báo cáo chỉ gửi dạng đường liên kết", "chỉ có liên kết"),
        "files_to_check": ("thư có tệp đính kèm chưa giống báo cáo theo đề cương", "tệp cần xem"),
    },
)
# Classifications that change a recipient's state (they become submissions).
STATE_MAIL_KINDS = (MailKind.SUBMISSION, MailKind.NIL_REPORT, MailKind.ACKNOWLEDGEMENT)


class DocumentKind(_Labelled):
    """What one parsed file is (parsers.kind)."""

    REPORT = "report"
    NIL_REPORT = "nil_report"
    NOT_A_REPORT = "not_a_report"


_labelled(
    DocumentKind,
    {
        "report": ("báo cáo", "báo cáo"),
        "nil_report": ("báo cáo không phát sinh nội dung", "không phát sinh"),
        "not_a_report": ("không phải báo cáo", "không phải báo cáo"),
    },
)


class SubmissionKind(_Labelled):
    """What a recorded response is."""

    REPORT = "report"
    NIL_REPORT = "nil_report"
    ACKNOWLEDGEMENT = "acknowledgement"


_labelled(
    SubmissionKind,
    {
        "report": ("báo cáo", "báo cáo"),
        "nil_report": ("báo cáo không phát sinh nội dung", "không phát sinh"),
        "acknowledgement": ("thư hẹn gửi báo cáo", "hẹn gửi"),
    },
)
# Kinds that answer the request (an acknowledgement only promises an answer).
ANSWER_KINDS = (SubmissionKind.REPORT, SubmissionKind.NIL_REPORT)


class SubmissionStatus(_Labelled):
    VALID = "valid"
    SUPERSEDED = "superseded"


_labelled(SubmissionStatus, {"valid": ("hiệu lực", "hiệu lực"), "superseded": ("đã được thay thế", "đã thay")})


class Channel(_Labelled):
    """How a response reached us."""

    EMAIL = "email"
    FOLDER = "folder"
    MANUAL = "manual"
    # Recorded by a person from the web workspace (flows.web.actions.record_response).
    PAPER = "paper"
    PHONE = "phone"
    HAND = "hand"


_labelled(
    Channel,
    {
        "email": ("Thư điện tử", "thư"),
        "folder": ("Thư mục dùng chung", "thư mục"),
        "manual": ("Nhập tay", "nhập tay"),
        "paper": ("Bản giấy", "bản giấy"),
        "phone": ("Điện thoại", "điện thoại"),
        "hand": ("Nộp trực tiếp", "nộp trực tiếp"),
    },
)


class RecipientState(_Labelled):
    """Where a recipient stands (reports.status)."""

    NOT_RESPONDED = "not_responded"
    ACKNOWLEDGED = "acknowledged"
    NIL_REPORT = "nil_report"
    SUBMITTED = "submitted"


_labelled(
    RecipientState,
    {
        "not_responded": ("Chưa trả lời", "Chưa trả lời"),
        "acknowledged": ("Đã hẹn gửi", "Đã hẹn gửi"),
        "nil_report": ("Báo cáo không phát sinh", "Không phát sinh"),
        "submitted": ("Đã nộp báo cáo", "Đã nộp"),
    },
)
# "Đã trả lời": a report or a nil report arrived (a promise is not an answer). The one
# definition every screen uses: CLI, Prefect artifacts, web board and the report.
ANSWERED_STATES = (RecipientState.SUBMITTED, RecipientState.NIL_REPORT)
# Who needs chasing first.
STATE_ORDER: dict[str, int] = {
    RecipientState.NOT_RESPONDED: 0,
    RecipientState.ACKNOWLEDGED: 1,
    RecipientState.SUBMITTED: 2,
    RecipientState.NIL_REPORT: 3,
}


class ItemStatus(_Labelled):
    """Where one incoming message or file stands in the ledger."""

    RECEIVED = "received"
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    REVIEW = "review"
    FAILED = "failed"
    OCR_QUEUED = "ocr_queued"  # a scan waits for its own OCR run (flows/intake/scanq.py)


_labelled(
    ItemStatus,
    {
        "received": ("đã nhận", "đã nhận"),
        "processed": ("đã ghi nhận", "đã ghi nhận"),
        "duplicate": ("trùng, bỏ qua", "trùng"),
        "review": ("chờ xem xét", "chờ xem xét"),
        "failed": ("lỗi", "lỗi"),
        "ocr_queued": ("đang chờ đọc bản quét", "chờ đọc bản quét"),
    },
)


class OutboundKind(_Labelled):
    """What a mail we send is."""

    REQUEST = "request"
    REMINDER = "reminder"
    REMINDER_INCOMPLETE = "reminder_incomplete"
    RECEIPT = "receipt"
    ALERT = "alert"


_labelled(
    OutboundKind,
    {
        "request": ("công văn đề nghị báo cáo", "công văn"),
        "reminder": ("thư nhắc", "thư nhắc"),
        "reminder_incomplete": ("thư nhắc bổ sung", "nhắc bổ sung"),
        "receipt": ("thư báo đã nhận", "báo đã nhận"),
        "alert": ("thư cảnh báo", "cảnh báo"),
    },
)


class OutboundStatus(_Labelled):
    """Where one outgoing mail stands in the exactly-once ledger."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


_labelled(
    OutboundStatus,
    {
        "pending": ("chờ gửi", "chờ gửi"),
        "sending": ("đang gửi (nếu treo: không rõ đã gửi chưa)", "đang gửi"),
        "sent": ("đã gửi", "đã gửi"),
        "failed": ("gửi lỗi, sẽ thử lại", "lỗi"),
    },
)


class ReviewStatus(_Labelled):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


_labelled(
    ReviewStatus,
    {"open": ("chờ xem xét", "chờ"), "resolved": ("đã gán", "đã gán"), "dismissed": ("đã bỏ qua", "bỏ qua")},
)


class ReviewKind(_Labelled):
    """What a review item asks a person to decide."""

    ATTRIBUTION = "attribution"
    REPLACE = "replace"
    PROBLEM = "problem"
    UNREADABLE = "unreadable"
    DOUBTFUL_REPORT = "doubtful_report"
    APPENDIX = "appendix"


_labelled(
    ReviewKind,
    {
        "attribution": ("xác định đơn vị gửi", "đơn vị gửi"),
        "replace": ("có thay thế báo cáo hiện có không", "thay thế?"),
        "problem": ("nội dung hoặc số liệu cần kiểm tra", "cần kiểm tra"),  # figures, or a section placed in doubt
        "unreadable": ("tệp không đọc được", "tệp lỗi"),
        "doubtful_report": ("có phải báo cáo theo đề cương không", "báo cáo?"),
        "appendix": ("phụ lục chưa ghép được với báo cáo", "phụ lục"),
    },
)
# "Chưa nộp – tệp lỗi": the agency's only report could not be read (a failed file is not a
# promise: the state stays "not responded", reminders go on, the receipt asks for a copy).
FAILED_FILE_LABEL = "Chưa nộp – tệp lỗi"
# "Đã gửi tệp – chờ kiểm tra": the agency sent files that do not look like an outline report
# (an open doubtful_report item): not counted yet, nor chased as if it had sent nothing.
FILES_TO_CHECK_LABEL = "Đã gửi tệp – chờ kiểm tra"


def group_answer_mark(section_ids: list[str]) -> str:
    """The mark before a group answer shown under each section it covers."""
    return f"[Trả lời chung cho các mục {', '.join(display_id(s) for s in section_ids)}]"


def display_id(section_id: str) -> str:
    """A section id as the outline writes it: the canonical '2.2.dd' prints as '2.2.đ'."""
    return ".".join("đ" if part == "dd" else part for part in str(section_id).split("."))
