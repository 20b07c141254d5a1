"""Typed results of parsing, and the outline spec parsers match against.

Parsers are pure: they never import our config, storage or flows. The caller turns a campaign
into an `OutlineSpec` and gets back a `ParseResult` whose `to_json()` is the contract of
`baocao parse --json`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, cast

Format = Literal["docx", "xlsx", "doc", "xls", "odt", "ods", "pdf", "image", "zip", "unknown"]
Kind = Literal["report", "nil_report", "not_a_report"]
# How a value came to be: read from a cell, derived (rate = result / plan × 100), the agency's
# explicit "none" ("-", "x", "Không", "0", "Không phát sinh"), or not there at all.
Source = Literal["read", "derived", "explicit_none", "missing"]
# Closing parts of a report, each kept as its own typed part.
CLOSING_PARTS = ("danh_gia", "kho_khan", "kien_nghi", "phuong_huong")


class ProblemCode(StrEnum):
    """Every problem a parser reports: a stable code, a Vietnamese label, a confidence weight."""

    label: str
    # Factor the document's confidence is multiplied by for each such problem (1.0: a note).
    weight: float

    def __new__(cls, value: str, label: str, weight: float) -> ProblemCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.weight = weight
        return member

    TABLE_MISSING = "table_missing", "Không tìm thấy bảng định lượng", 0.8
    ROW_MISSING = "row_missing", "Thiếu dòng của bảng định lượng", 0.97
    RATE_COMPUTED = "rate_computed", "Tỷ lệ để trống, đã tính từ kết quả và kế hoạch", 1.0
    RATE_INCONSISTENT = "rate_inconsistent", "Tỷ lệ không khớp kết quả / kế hoạch", 0.9
    NUMBER_UNREADABLE = "number_unreadable", "Không đọc được số trong ô", 0.9
    NUMBER_AMBIGUOUS = "number_ambiguous", "Số có thể hiểu hai cách", 0.97
    NUMBER_SEVERAL = "number_several", "Ô có nhiều số", 0.95
    COLUMN_UNEXPLAINED = "column_unexplained", "Cột có số liệu không rõ ý nghĩa", 0.85
    COLUMN_FROM_DATA = "column_from_data", "Vai trò của cột được suy ra từ số liệu", 0.95
    COLUMN_ROLE_MISSING = "column_role_missing", "Bảng thiếu cột Kế hoạch / Kết quả / Tỷ lệ", 0.85
    RESULTS_MISSING = "results_missing", "Cột kết quả để trống trong khi có kế hoạch và tỷ lệ", 0.6
    TOTAL_MISMATCH = "total_mismatch", "Dòng tổng không khớp tổng các dòng", 0.9
    SECTION_NOT_FOUND = "section_not_found", "Không tìm thấy mục của đề cương", 0.98
    AGENCY_UNKNOWN = "agency_unknown", "Không xác định được đơn vị gửi", 0.9
    NO_READABLE_FILE = "no_readable_file", "Không có tệp nào đọc được", 0.0
    DRAFT = "draft", "Văn bản chưa có số hoặc ngày (bản dự thảo?)", 0.9
    LOW_COVERAGE = "low_coverage", "Văn bản khớp ít với đề cương", 0.8
    SAYS_REPLACES = "says_replaces", "Văn bản ghi thay thế một báo cáo trước", 1.0
    BOILERPLATE_REMOVED = "boilerplate_removed", "Đã bỏ câu mở đầu, kết thúc hoặc tiêu đề khỏi nội dung mục", 1.0
    OCR_READ = "ocr_read", "Nội dung đọc từ bản quét bằng nhận dạng chữ (OCR): cần xác nhận số liệu", 0.9
    OCR_LOW_CONFIDENCE = "ocr_low_confidence", "Số liệu đọc từ bản quét có độ tin cậy thấp", 0.9
    OCR_SECTION_LOW = "ocr_section_low", "Nội dung mục đọc từ bản quét có độ tin cậy thấp", 0.95
    OCR_PAGES_CAPPED = "ocr_pages_capped", "Bản quét dài: chỉ nhận dạng chữ một số trang đầu", 0.9
    SIGNATURE_INVALID = "signature_invalid", "Chữ ký số không hợp lệ", 0.8
    SIGNATURE_MODIFIED = "signature_modified", "Văn bản bị sửa sau khi ký số", 0.7
    SIGNATURE_OTHER_ORG = "signature_other_org", "Chữ ký số của một tổ chức khác đơn vị gửi", 0.8
    SIGNATURE_UNTRUSTED = "signature_untrusted", "Chữ ký số chưa xác minh được nhà cung cấp chứng thư", 1.0
    SIGNATURE_EXPIRED = "signature_expired", "Chứng thư số đã hết hạn khi ký", 0.9
    ROW_DUPLICATE = "row_duplicate", "Một dòng của bảng định lượng được ghi hai lần với số liệu khác nhau", 0.85
    COUNT_NOT_INTEGER = "count_not_integer", "Số lượng (người, doanh nghiệp, phương tiện …) không phải số nguyên", 0.85
    NUMBER_SCALED = "number_scaled", "Số ghi kèm đơn vị nghìn / triệu / tỷ", 0.9
    HIDDEN_CONTENT = "hidden_content", "Bảng tính có dòng hoặc cột ẩn chứa nội dung (không đọc)", 0.97
    HIDDEN_ROW_MISSING = "hidden_row_missing", "Thiếu dòng của bảng định lượng trong khi bảng tính có dòng ẩn chứa nội dung", 0.8
    GROUP_ANSWERED = "group_answered", "Nhóm nhiệm vụ được trả lời chung, không tách theo từng mục", 0.97
    NUMBER_APPROXIMATE = "number_approximate", "Số ghi gần đúng hoặc là một giới hạn (trên, khoảng, hơn …)", 0.95
    UNIT_CONVERTED = "unit_converted", "Số liệu đã đổi sang đơn vị tính chung của dòng (nghìn / triệu / tỷ)", 1.0
    UNIT_MISMATCH = "unit_mismatch", "Đơn vị tính khác đơn vị của dòng: không cộng vào tổng", 0.9
    FIGURES_DIFFER = "figures_differ", "Hai tệp của cùng một báo cáo ghi số liệu khác nhau", 0.8
    TABLE_TRANSPOSED = "table_transposed", "Bảng định lượng ghi theo chiều ngang (dòng của đề cương là cột)", 0.97
    TABLE_FROM_TEXT = "table_from_text", "Bảng định lượng đọc từ các dòng chữ (không phải bảng)", 0.9
    PLAN_MISSING = "plan_missing", "Bảng định lượng chỉ có cột Kết quả, không có Kế hoạch", 0.95
    REPORT_NOT_RECOGNISED = "report_not_recognised", "Văn bản của đơn vị có nội dung theo đề cương nhưng không đọc được như báo cáo", 0.5
    SECTION_AMBIGUOUS = "section_ambiguous", "Đề mục gần với hai mục của đề cương: cần xem lại mục được xếp", 0.9
    WRONG_PERIOD = "wrong_period", "Báo cáo ghi kỳ báo cáo khác kỳ đề nghị: số liệu chưa cộng vào tổng", 0.5


# Problems about figures that a person must look at before the figures are trusted: each one
# opens a review item when the submission is recorded (a figure column no role explains, a
# rate contradicting its figures, results all missing beside plans and rates, a total row
# disagreeing with its rows, a cell whose number could not be read, a row written twice with
# different figures, a count that is no whole number, a figure scaled by "triệu"/"tỷ", a bound
# or an estimate for a figure ("Trên 1.200"), a unit no other agency's figures add up with, two
# files of one report with different figures), figures
# read from a scan with low confidence, and a digital signature that does not vouch for the
# sender; a report stating another period than the one asked for (`wrong_period`: its figures stay
# out of the totals until a person accepts them). (`hidden_content` is a note: the hidden part is not read and the note says so —
# unless an outline row is missing from what is visible: `hidden_row_missing` blocks.)
BLOCKING_PROBLEMS = frozenset(
    {
        ProblemCode.COLUMN_UNEXPLAINED,
        ProblemCode.RATE_INCONSISTENT,
        ProblemCode.RESULTS_MISSING,
        ProblemCode.TOTAL_MISMATCH,
        ProblemCode.NUMBER_UNREADABLE,
        ProblemCode.ROW_DUPLICATE,
        ProblemCode.HIDDEN_ROW_MISSING,
        ProblemCode.COUNT_NOT_INTEGER,
        ProblemCode.NUMBER_SCALED,
        ProblemCode.NUMBER_APPROXIMATE,
        ProblemCode.UNIT_MISMATCH,
        ProblemCode.FIGURES_DIFFER,
        ProblemCode.OCR_LOW_CONFIDENCE,
        ProblemCode.SIGNATURE_INVALID,
        ProblemCode.SIGNATURE_MODIFIED,
        ProblemCode.SIGNATURE_OTHER_ORG,
        ProblemCode.WRONG_PERIOD,
    }
)


# Problems that open a review item without holding the figures: a heading placed in one of two
# close sections (`section_ambiguous`) is about the text, not the table.
REVIEW_PROBLEMS = BLOCKING_PROBLEMS | {ProblemCode.SECTION_AMBIGUOUS}


@dataclass
class Problem:
    """Something a person should know about a parsed file (message in Vietnamese)."""

    code: str
    message: str
    where: str = ""
    # The sections it is about, when it names some (group_answered: the sections a group
    # answer covers); not in the JSON when empty.
    sections: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": str(self.code), "message": self.message, "where": self.where}
        if self.sections:
            out["sections"] = list(self.sections)
        return out


def problem_code(code: str) -> ProblemCode:
    """The member for a stored code (ValueError when unknown)."""
    member = ProblemCode._value2member_map_.get(str(code))
    if member is None:
        raise ValueError(code)
    return cast(ProblemCode, member)


def problem_weight(code: str) -> float:
    """The confidence factor of a problem code (unknown codes: a mild doubt)."""
    try:
        return problem_code(code).weight
    except ValueError:
        return 0.95


@dataclass(frozen=True)
class SectionSpec:
    """A narrative section to find: id, heading and the short forms people use."""

    id: str
    heading: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSpec:
    """A table row to find: id, group (I, II) and label."""

    id: str
    group: str
    label: str
    synonyms: tuple[str, ...] = ()
    # The outline's unit of the row ("Người", "Doanh nghiệp", "Triệu đồng"), "" when not given.
    unit: str = ""


@dataclass(frozen=True)
class AgencySpec:
    """A known agency (recipient): its id, official name and short names."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutlineSpec:
    """Everything a parser needs to know about a campaign."""

    sections: tuple[SectionSpec, ...]
    rows: tuple[RowSpec, ...]
    agencies: tuple[AgencySpec, ...] = ()
    # Headings of groups (1, 2, 2.1 …) that have no text of their own.
    groups: tuple[SectionSpec, ...] = ()
    # Words that mark a document as belonging to this campaign (e.g. "996").
    topic_words: tuple[str, ...] = ()
    nil_phrases: tuple[str, ...] = ()
    table_title: str = ""
    # The campaign's own headings of its value columns, (role, heading): "Số cơ sở đã kiểm tra"
    # names the result column of that campaign whatever the general words say.
    columns: tuple[tuple[str, str], ...] = ()
    # The period the request covers (first and last year; None: not configured) and the date of
    # the request: a report stating another period is a `wrong_period` problem.
    period: tuple[int, int] | None = None
    request_date: dt.date | None = None


@dataclass
class ParseError:
    """Why a file could not be parsed at all."""

    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass
class SectionText:
    """What the document says under one section (or one closing part)."""

    text: str = ""
    empty: bool = True
    where: str = ""
    # The agency answered "Không có" / "Không phát sinh": answered, with nothing to report.
    explicit_none: bool = False
    confidence: float = 0.0
    heading: str = ""
    # 0..1 when the text was read from a scan by OCR (the mean of its words' confidences).
    ocr_confidence: float | None = None
    # The file it was read from when that is not the result's own file (a response joined from
    # several files: parsers.responses.Unit.merged); "" = the result's file. Not in the JSON.
    file: str = ""
    # Answered by a group answer, not under its own heading: the key of that answer in
    # `ParseResult.groups` ("1" for text under "1. Công tác lãnh đạo" covering 1.a and 1.b,
    # "2.5.a+2.5.b" for one paragraph naming both); its text is the group's. "" = its own.
    group: str = ""

    @property
    def answered(self) -> bool:
        """Text or an explicit none."""
        return not self.empty or self.explicit_none

    def to_json(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "empty": self.empty,
            "where": self.where,
            "explicit_none": self.explicit_none,
            "confidence": round(self.confidence, 3),
            "heading": self.heading,
        }
        if self.ocr_confidence is not None:
            out["ocr_confidence"] = round(self.ocr_confidence, 3)
        if self.group:
            out["group"] = self.group
        return out


JOINT = "+"
# The stored part of a section answered by a group answer (storage.SectionAnswer.part), beside
# "section", "closing" and "group".
BY_GROUP = "by_group"


def group_members(key: str, section_ids: Iterable[str]) -> list[str]:
    """The sections a group answer may cover: those its key names ("2.5.a+2.5.b"), or the
    group's own sections ("2.2" → 2.2.a … 2.2.đ; "2" above 2.1 has none of its own)."""
    ids = list(section_ids)
    if JOINT in key:
        return [sid for sid in key.split(JOINT) if sid in ids]
    return [sid for sid in ids if sid.rpartition(".")[0] == key]


def group_coverage(groups: Iterable[str], answered: Iterable[str], section_ids: Iterable[str]) -> dict[str, str]:
    """Section id → the key of the group answer covering it: each section a group answer may
    cover (`group_members`) that has no answer of its own. A section two answers may cover
    goes to the narrower (a joint answer before its whole group)."""
    ids, own = list(section_ids), set(answered)
    out: dict[str, str] = {}
    for key in sorted(groups, key=lambda k: JOINT not in k):
        for sid in group_members(key, ids):
            if sid not in own:
                out.setdefault(sid, key)
    return out


@dataclass
class IndicatorValue:
    """One figure of the table (plan, result or rate) with its provenance."""

    value: float | None = None
    source: Source = "missing"
    raw: str = ""
    where: str = ""
    confidence: float = 0.0
    # Read from a scan: Tesseract's confidence (0..1) of its weakest word, and where that word
    # is on the page image (page number, x0, top, x1, bottom in points) for a crop beside it.
    ocr_confidence: float | None = None
    ocr_box: tuple[int, float, float, float, float] | None = None
    # The unit the value is in as the agency gave it (its row's "Đơn vị tính" cell, or its
    # column's header once a scale there was applied), "" when none was given.
    unit: str = ""
    # The file it was read from when that is not the result's own file (see SectionText.file).
    file: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": _num(self.value),
            "source": self.source,
            "raw": self.raw,
            "where": self.where,
            "confidence": round(self.confidence, 3),
        }
        if self.unit:
            out["unit"] = self.unit
        if self.ocr_confidence is not None:
            out["ocr_confidence"] = round(self.ocr_confidence, 3)
            out["ocr_box"] = [round(v, 1) for v in self.ocr_box] if self.ocr_box else None
        return out


VALUE_ROLES = ("plan", "result", "rate")


@dataclass
class Indicator:
    """One table row: numbers, the raw cell texts and where they were found.

    `plan`/`result`/`rate`/`raw`/`where` are the row's summary (kept for old callers);
    `values` holds each figure with its source, cell and confidence.
    """

    plan: float | None = None
    result: float | None = None
    rate: float | None = None
    raw: dict[str, str] = field(default_factory=dict)
    where: str = ""
    rate_computed: bool = False
    label: str = ""
    values: dict[str, IndicatorValue] = field(default_factory=dict)
    confidence: float = 0.0
    unit: str = ""
    note: str = ""
    # The file the row was read from when that is not the result's own file (see SectionText.file).
    file: str = ""

    def value(self, role: str) -> IndicatorValue:
        """The figure of one role (a missing one when the row has none)."""
        return self.values.get(role) or IndicatorValue(getattr(self, role))

    @property
    def explicit_none(self) -> bool:
        """The agency said "none" for this row (every given figure is an explicit none)."""
        sources = [self.value(r).source for r in ("plan", "result")]
        return "explicit_none" in sources and all(s in ("explicit_none", "missing") for s in sources)

    @property
    def answered(self) -> bool:
        """A plan or a result, or an explicit none."""
        return self.plan is not None or self.result is not None or self.explicit_none

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": _num(self.plan),
            "result": _num(self.result),
            "rate": _num(self.rate),
            "raw": dict(self.raw),
            "where": self.where,
            "rate_computed": self.rate_computed,
            "label": self.label,
            "values": {k: v.to_json() for k, v in self.values.items()},
            "explicit_none": self.explicit_none,
            "confidence": round(self.confidence, 3),
            "unit": self.unit,
            "note": self.note,
        }


@dataclass
class ExtraRow:
    """A row of the agency's own, not in the outline."""

    label: str
    plan: float | None = None
    result: float | None = None
    rate: float | None = None
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "plan": _num(self.plan),
            "result": _num(self.result),
            "rate": _num(self.rate),
            "where": self.where,
        }


@dataclass
class Agency:
    """Who the document says it comes from."""

    id: str | None = None
    name: str | None = None
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "score": round(self.score, 3)}


@dataclass
class ParseResult:
    """Everything read from one file (the contract of `baocao parse --json`)."""

    file: str
    format: Format = "unknown"
    kind: Kind = "not_a_report"
    agency: Agency = field(default_factory=Agency)
    doc_number: str | None = None
    doc_date: str | None = None
    sections: dict[str, SectionText] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    extra_rows: list[ExtraRow] = field(default_factory=list)
    extra_text: str = ""
    problems: list[Problem] = field(default_factory=list)
    members: list[ParseResult] = field(default_factory=list)
    error: ParseError | None = None
    # Closing parts (đánh giá, khó khăn, kiến nghị, phương hướng), keys from CLOSING_PARTS.
    closing: dict[str, SectionText] = field(default_factory=dict)
    # Text written under a group's heading (2.2, …) rather than under its sections, by group id.
    groups: dict[str, SectionText] = field(default_factory=dict)
    # 0..1: how much of the outline the document covers (sections answered, rows answered).
    coverage: float = 0.0
    # 0..1: how far the values can be trusted (lowered by every problem).
    confidence: float = 0.0
    # Why the kind was decided (short Vietnamese phrases, e.g. "12/17 mục của đề cương").
    evidence: list[str] = field(default_factory=list)
    # The document says it replaces an earlier report ("thay thế Báo cáo số 12/BC-SYT").
    says_replaces: bool = False
    replaces_number: str | None = None
    # An appendix/spreadsheet naming the report it belongs to ("Kèm theo Báo cáo số …").
    part_of: str | None = None
    # And that report's date as the note gives it ("… ngày 11/8/2025"), ISO; None if not given.
    part_of_date: str | None = None
    # Where the number and the date were read (header, attachment note, signature, end).
    identity_where: str = ""
    draft: bool = False
    # Not in the JSON contract: the sha256 of the bytes and the original member name.
    sha256: str = ""
    scanned: bool = False
    # The document's own words (folded), for telling which campaign's outline it follows.
    words: frozenset[str] = frozenset()
    # What the document says it is by its number's code or title (parsers.identity.doc_type:
    # "bao_cao", "ke_hoach", "giay_moi" …; "" when it does not say).
    doc_type: str = ""
    # How a scan was read (parsers.scan.ScanInfo), None for a file with a text layer.
    ocr: Any = None
    # Every digital signature of a PDF (parsers.signatures.SignatureFacts).
    signatures: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "kind": self.kind,
            "agency": self.agency.to_json(),
            "doc_number": self.doc_number,
            "doc_date": self.doc_date,
            "sections": {k: v.to_json() for k, v in self.sections.items()},
            "indicators": {k: v.to_json() for k, v in self.indicators.items()},
            "extra_rows": [r.to_json() for r in self.extra_rows],
            "extra_text": self.extra_text,
            "problems": [p.to_json() for p in self.problems],
            "members": [m.to_json() for m in self.members],
            "error": self.error.to_json() if self.error else None,
            "closing": {k: v.to_json() for k, v in self.closing.items()},
            "groups": {k: v.to_json() for k, v in self.groups.items()},
            "coverage": round(self.coverage, 3),
            "confidence": round(self.confidence, 3),
            "evidence": list(self.evidence),
            "says_replaces": self.says_replaces,
            "replaces_number": self.replaces_number,
            "part_of": self.part_of,
            "part_of_date": self.part_of_date,
            "identity_where": self.identity_where,
            "draft": self.draft,
            **({"ocr": self.ocr.to_json()} if self.ocr is not None else {}),
            **({"signatures": [s.to_json() for s in self.signatures]} if self.signatures else {}),
        }

    @property
    def answered_sections(self) -> list[str]:
        """Ids of the sections with an answer (text or an explicit "Không có")."""
        return [k for k, v in self.sections.items() if v.answered]

    @property
    def missing_sections(self) -> list[str]:
        """Ids of the sections really unanswered (an explicit none is an answer)."""
        return [k for k, v in self.sections.items() if not v.answered]

    @property
    def missing_rows(self) -> list[str]:
        """Ids of the table rows with neither plan nor result nor an explicit none."""
        return [k for k, v in self.indicators.items() if not v.answered]


def _num(value: float | None) -> int | float | None:
    """Whole numbers as ints in JSON (1250, not 1250.0)."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return value
