"""Campaign definitions: the request, its outline, recipients and policies (YAML, validated)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.errors import ConfigError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def nfc(value: Any) -> Any:
    """NFC-normalise strings (recursively in lists), leave anything else alone."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value)


class Contact(_Model):
    """The person at the issuing office agencies may call."""

    name: str
    phone: str | None = None
    email: str | None = None


class Request(_Model):
    """The official request (công văn) that opened the campaign."""

    number: str
    date: dt.date | None = None
    subject: str
    issuer: str
    issuer_parent: str = ""
    place: str = ""
    signer: str = ""
    signer_title: str = ""
    contact: Contact | None = None
    attachments: list[str] = Field(default_factory=list)
    # What the letter lists under "Hồ sơ gửi kèm" (each needs a file in `attachments`).
    enclosures: list[str] = Field(default_factory=list)


class SectionGroup(_Model):
    """A heading of the outline with no text of its own (1, 2, 2.1 …)."""

    id: str
    heading: str


class Section(_Model):
    """A narrative section of the outline, answered in prose."""

    id: str
    heading: str
    synonyms: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)*(\.[a-z]{1,2})?", value):
            raise ValueError(f"mã mục không hợp lệ: {value!r} (ví dụ 1.a, 2.2.dd)")
        return value


class RowGroup(_Model):
    """A group of table rows (I, II …)."""

    id: str
    label: str


class Row(_Model):
    """A row of the quantitative table."""

    id: str
    group: str
    label: str
    synonyms: list[str] = Field(default_factory=list)
    unit: str | None = None


class TableColumns(_Model):
    """Headings of the plan / result / rate columns as printed in the outline."""

    plan: str = "Kế hoạch đến năm 2025"
    result: str = "Kết quả đến năm 2025"
    rate: str = "Tỷ lệ đạt được so với kế hoạch"


class Table(_Model):
    """The outline's quantitative table."""

    title: str
    columns: TableColumns = Field(default_factory=TableColumns)
    groups: list[RowGroup] = Field(default_factory=list)
    rows: list[Row]

    @model_validator(mode="after")
    def _check(self) -> Table:
        _unique([r.id for r in self.rows], "table.rows")
        known = {g.id for g in self.groups}
        for row in self.rows:
            if known and row.group not in known:
                raise ValueError(f"dòng {row.id}: nhóm {row.group!r} không có trong table.groups")
        return self


class Outline(_Model):
    """What each agency is asked to report: sections and the table."""

    groups: list[SectionGroup] = Field(default_factory=list)
    sections: list[Section]
    table: Table

    @model_validator(mode="after")
    def _check(self) -> Outline:
        _unique([s.id for s in self.sections], "outline.sections")
        _unique([g.id for g in self.groups], "outline.groups")
        groups = {g.id for g in self.groups}
        if groups:
            for section in self.sections:
                parent = section.id.rsplit(".", 1)[0]
                if parent not in groups:
                    raise ValueError(
                        f"mục {section.id}: nhóm cha {parent!r} không có trong outline.groups"
                    )
        return self

    @property
    def section_ids(self) -> list[str]:
        """Section ids in outline order."""
        return [s.id for s in self.sections]

    @property
    def row_ids(self) -> list[str]:
        """Table row ids in outline order."""
        return [r.id for r in self.table.rows]


class Window(_Model):
    """The sending window on a working day, local time."""

    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(16, 30)


class ReminderPolicy(_Model):
    """When and to whom reminders go."""

    enabled: bool = True
    before_deadline: list[int] = Field(default_factory=lambda: [5, 1])
    after_deadline_first: int = 1
    overdue_every: int = 3
    max_overdue: int = 3
    window: Window = Field(default_factory=Window)
    remind_states: list[Literal["not_responded", "acknowledged"]] = Field(
        default_factory=lambda: ["not_responded", "acknowledged"]
    )
    remind_incomplete: bool = True
    attach_outline: bool = False
    # After the deadline, an incomplete report is asked back within this many working days
    # of the reminder (the reminder names that date, never one already past).
    resubmit_working_days: int = Field(default=5, ge=1, le=60)
    extra_days_off: list[dt.date] = Field(default_factory=list)
    extra_working_days: list[dt.date] = Field(default_factory=list)


class ReportSchedule(_Model):
    """When the consolidated report is rebuilt."""

    cron: str = "0 17 * * *"
    at_deadline: bool = True
    number: str = "…/BC-SKHCN"
    title: str = ""
    recipients_block: list[str] = Field(default_factory=list)
    # Past this many agencies with figures, the Word report does not print one annex table per
    # agency (hundreds of pages at province scale): it says the figures are in the Excel file.
    annex_in_word_max: int = Field(default=100, ge=0)
    # Past this many agencies answering one section, the Word report prints the shared answers
    # with their number of agencies and sends the reader to the Excel sheet «Nội dung» for the
    # agencies' own texts (the narrative is 17 sections × every agency otherwise).
    narrative_in_word_max: int = Field(default=100, ge=0)


class MailboxHints(_Model):
    """Words in a subject or body that suggest a mail belongs to this campaign."""

    subject_hints: list[str] = Field(default_factory=list)
    nil_phrases: list[str] = Field(default_factory=list)
    ack_phrases: list[str] = Field(default_factory=list)


class Receipts(_Model):
    """Whether a receipt is mailed back after a submission is recorded."""

    enabled: bool = True


class Completeness(_Model):
    """What counts as answered, and what may replace a recorded report (campaign policy)."""

    # Sections and table rows a report must answer (empty: every one of the outline).
    required_sections: list[str] = Field(default_factory=list)
    required_rows: list[str] = Field(default_factory=list)
    # "-", "x", "Không", "0", "Không phát sinh" answer a row or a section (never "missing").
    explicit_none_is_answer: bool = True
    # A new document replaces an agency's current report only when it covers at least this
    # share of the outline (or says it replaces one); anything else goes to review.
    replace_min_coverage: float = Field(default=0.2, ge=0.0, le=1.0)
    # A document the parser calls a report but that answers no section and no row of the
    # outline (coverage below this) is not positive evidence: a person decides.
    report_min_coverage: float = Field(default=0.01, ge=0.0, le=1.0)


class Period(_Model):
    """The years the request covers ("giai đoạn 2018 – 2025": 2018 and 2025): a report stating
    another period (a year ending before `last`) is flagged and kept out of the totals until a
    person accepts it."""

    first: int = Field(ge=1900, le=2200)
    last: int = Field(ge=1900, le=2200)

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.first > self.last:
            raise ValueError(f"kỳ báo cáo: năm đầu {self.first} sau năm cuối {self.last}")
        return self


class Campaign(_Model):
    """One request sent to many agencies, with its outline and policies."""

    id: str
    title: str
    timezone: str = "Asia/Ho_Chi_Minh"
    request: Request
    deadline: dt.date
    recipients_file: str
    outline: Outline
    # The period the report covers (None: no year is checked).
    period: Period | None = None
    reminders: ReminderPolicy = Field(default_factory=ReminderPolicy)
    report: ReportSchedule = Field(default_factory=ReportSchedule)
    mailbox: MailboxHints = Field(default_factory=MailboxHints)
    receipts: Receipts = Field(default_factory=Receipts)
    # A closed campaign (false) no longer takes mail: the poll routes only between open ones.
    active: bool = True
    completeness: Completeness = Field(default_factory=Completeness)
    # Set by the loader: the folder the YAML came from, to resolve relative paths.
    source_dir: Path | None = Field(default=None, exclude=True)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError("id chỉ gồm chữ thường không dấu, số, '-', '_', '.'")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as err:
            raise ValueError(f"múi giờ không tồn tại: {value}") from err
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The campaign's timezone."""
        return ZoneInfo(self.timezone)

    @property
    def deadline_at(self) -> dt.datetime:
        """The end of the deadline day in the campaign's timezone (aware)."""
        end = dt.datetime.combine(self.deadline, dt.time(23, 59, 59))
        return end.replace(tzinfo=self.tz)

    @model_validator(mode="after")
    def _required_known(self) -> Campaign:
        sections = {s.id for s in self.outline.sections}
        rows = {r.id for r in self.outline.table.rows}
        unknown = [x for x in self.completeness.required_sections if x not in sections]
        unknown += [x for x in self.completeness.required_rows if x not in rows]
        if unknown:
            raise ValueError(f"completeness: mã không có trong đề cương: {', '.join(unknown)}")
        return self

    @property
    def required_sections(self) -> list[str]:
        """The section ids a report must answer to be complete (policy, else all)."""
        return list(self.completeness.required_sections) or [s.id for s in self.outline.sections]

    @property
    def required_rows(self) -> list[str]:
        """The table row ids a report must answer to be complete (policy, else all)."""
        return list(self.completeness.required_rows) or [r.id for r in self.outline.table.rows]

    @property
    def recipients_path(self) -> Path:
        """The recipients file, resolved against the YAML's folder."""
        path = Path(self.recipients_file)
        if not path.is_absolute() and self.source_dir is not None:
            path = self.source_dir / path
        return path


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{where}: mã {item!r} bị trùng")
        seen.add(item)


# libyaml's safe loader when PyYAML was built with it (many times faster than the Python one).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 — a safe loader (C or Python)


def _lines(text: str) -> dict[tuple[Any, ...], int]:
    """The line of every mapping key and sequence item (composed again only to place an error)."""
    loader = _FAST_LOADER(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                child = (*path, key.value)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
                lines[child] = key.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, value in enumerate(n.value):
                walk(value, (*path, i))

    if node is not None:
        walk(node, ())
    return lines


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


_DATE_LIKE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.-])")


def _bad_date(text: str) -> tuple[int | None, str]:
    """The first date-looking value that is no date (line, text), to name it in the error."""
    for number, line in enumerate(text.splitlines(), 1):
        for match in _DATE_LIKE.finditer(line.split("#", 1)[0]):
            try:
                dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return number, match.group()
    return None, ""


def parse_campaign(text: str, source: Path | str = "<campaign>") -> Campaign:
    """Parse and validate a campaign from YAML text; errors name file, line and field."""
    source = Path(source)
    try:
        data = _load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(f"YAML không hợp lệ: {getattr(err, 'problem', err)}", source, line) from err
    except ValueError as err:  # YAML read a date or time the calendar does not have (2025-13-45)
        line, value = _bad_date(text)
        what = f"«{value}» không phải ngày hợp lệ" if value else "giá trị ngày/giờ không hợp lệ"
        raise ConfigError(f"{what} (viết YYYY-MM-DD, ví dụ 2025-08-15)", source, line) from err
    if not isinstance(data, dict):
        raise ConfigError("tệp chiến dịch phải là một ánh xạ YAML", source, 1)
    data.pop("source_dir", None)
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "(gốc)"
        raise ConfigError(first["msg"], source, _line_for(loc, _lines(text)), field) from err
    return campaign.model_copy(update={"source_dir": source.parent.resolve()})


def load_campaign(path: Path) -> Campaign:
    """Load one campaign YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"không đọc được tệp: {err.strerror}", path) from err
    return parse_campaign(text, path)


def load_campaigns(campaigns_dir: Path) -> list[Campaign]:
    """Load every campaign in a folder (*.yaml, *.yml), sorted by id; ids must be unique."""
    if not campaigns_dir.is_dir():
        raise ConfigError("không tìm thấy thư mục chiến dịch", campaigns_dir)
    paths = sorted([*campaigns_dir.glob("*.yaml"), *campaigns_dir.glob("*.yml")])
    campaigns = [load_campaign(p) for p in paths]
    ids = [c.id for c in campaigns]
    for cid in ids:
        if ids.count(cid) > 1:
            raise ConfigError(f"hai tệp chiến dịch cùng id {cid!r}", campaigns_dir)
    return sorted(campaigns, key=lambda c: c.id)


def pick_campaign(campaigns: list[Campaign], campaign_id: str | None) -> Campaign:
    """The campaign named; when none is named, the only one, or the only one still open."""
    if campaign_id:
        for campaign in campaigns:
            if campaign.id == campaign_id:
                return campaign
        known = ", ".join(c.id for c in campaigns) or "(không có)"
        raise ConfigError(f"không có chiến dịch {campaign_id!r}; hiện có: {known}")
    if len(campaigns) == 1:
        return campaigns[0]
    if not campaigns:
        raise ConfigError("chưa có chiến dịch nào trong thư mục cấu hình")
    active = [c for c in campaigns if c.active]
    if len(active) == 1:
        return active[0]  # the others are closed: the one still open is meant
    choices = ", ".join(c.id for c in (active or campaigns))
    raise ConfigError(f"có nhiều chiến dịch đang mở ({choices}): hãy chọn một bằng --campaign ID")
