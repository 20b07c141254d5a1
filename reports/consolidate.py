"""The consolidated report as a pure model: totals, the agency × row matrix, narrative per
section, closing parts, response statistics and problems (pandas frames + plain values).

Inputs are plain dataclasses filled by `flows/report.py` from storage rows; nothing here
touches the database or the file system. Writers (`reports/word.py`, `reports/excel.py`)
only format what this module decided.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

import pandas as pd

from config.campaign import Campaign
from parsers.model import BLOCKING_PROBLEMS, problem_code
from parsers.numbers import json_number, vn_number
from parsers.table import RATE_TOLERANCE
from parsers.units import COUNT, MONEY, Unit, read_unit
from parsers.vocab import ANSWERED_STATES, Channel

MEASURES = ("plan", "result", "rate")
RESPONDED_STATES = ANSWERED_STATES  # one definition of "đã trả lời" (parsers.vocab)
CHANNEL_LABELS = Channel.labels()
# Answers that say "nothing to report" in a few words; grouped into one line naming the agencies.
STOCK_ANSWERS = frozenset(
    {
        "không",
        "không có",
        "không có nội dung",
        "không có nội dung báo cáo",
        "không có hoạt động",
        "không có số liệu",
        "không phát sinh",
        "không phát sinh nội dung",
        "chưa phát sinh",
        "không thực hiện",
        "chưa thực hiện",
        "không triển khai",
        "chưa triển khai",
        "không có nhiệm vụ",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LETTER = {"dd": "đ"}
_PLACEHOLDER = re.compile(r"[\s.…_;:,\-–]*")


@dataclass(frozen=True)
class Figures:
    """Plan, result and rate of one table row as an agency reported them."""

    plan: float | None = None
    result: float | None = None
    rate: float | None = None
    # The fields a person corrected on the web ("plan", "result", "rate").
    corrected: frozenset[str] = frozenset()
    # The rate was not in the file: the parser computed it from the figures as read.
    rate_derived: bool = False
    # The unit the agency gave for the row's figures ("triệu đồng", "người"), "" when none.
    unit: str = ""


@dataclass(frozen=True)
class ExtraFigures:
    """A row of the agency's own, not in the outline."""

    label: str
    figures: Figures = Figures()


@dataclass(frozen=True)
class ProblemNote:
    """A problem recorded with a submission (message in Vietnamese)."""

    code: str
    message: str
    where: str = ""
    # Its own review item is still open (True) or settled (False); None when not known (then
    # a blocking problem counts as open while any figure problem of the submission is).
    open: bool | None = None


@dataclass(frozen=True)
class AgencyReport:
    """One recipient with its state and the content of its latest valid submission."""

    code: str
    name: str
    group: str = ""
    state: str = "not_responded"  # submitted | nil_report | acknowledged | not_responded
    late: bool = False
    received_at: dt.datetime | None = None
    channel: str | None = None
    files: tuple[str, ...] = ()
    sections: Mapping[str, str] = field(default_factory=dict)
    figures: Mapping[str, Figures] = field(default_factory=dict)
    extra_text: str = ""
    # The typed closing parts (đánh giá, khó khăn, kiến nghị, phương hướng) as the parser cut
    # them, in that order; part III uses these, never the loose text around the sections.
    closing: Mapping[str, str] = field(default_factory=dict)
    # The submission was read by the parser (closing parts typed): the loose text never stands in.
    typed_closing: bool = False
    # Per table row: where its figures were read and how ("BC.docx › bảng 2, dòng 4; tỷ lệ tự
    # tính"), for a person to check.
    provenance: Mapping[str, str] = field(default_factory=dict)
    extra_rows: tuple[ExtraFigures, ...] = ()
    problems: tuple[ProblemNote, ...] = ()
    doc_number: str | None = None
    submission_id: int | None = None
    # "Đã ký số bởi … lúc …" of the document's digital signatures.
    signed: tuple[str, ...] = ()
    # Figure problems of this submission still waiting for a person (review items open): its
    # figures count in the totals, and the report marks them as not yet checked.
    open_problems: int = 0
    confidence: float | None = None
    # People's corrections in use, one sentence each ("dòng 5, kết quả: 2.335 → 2.400 (canbo
    # sửa: lý do)"): the Word report lists them among «Những điểm cần lưu ý».
    corrections: tuple[str, ...] = ()

    @property
    def doubtful(self) -> bool:
        """Its figures come from a submission with open problems."""
        return self.open_problems > 0

    @property
    def responded(self) -> bool:
        """A report or a nil report arrived (a promise is not an answer)."""
        return self.state in RESPONDED_STATES


@dataclass(frozen=True)
class ReviewNote:
    """An item waiting for a person (attribution unclear, signals disagree)."""

    id: int
    source: str
    reason: str
    created_at: dt.datetime | None = None
    kind: str = ""
    agency: str = ""


@dataclass(frozen=True)
class NarrativeLine:
    """One line under a section: an agency's answer, or a stock answer naming several."""

    names: tuple[str, ...]
    text: str
    stock: bool = False

    @property
    def who(self) -> str:
        """The agency names as printed before the text."""
        return ", ".join(self.names)


@dataclass(frozen=True)
class ProblemLine:
    """Something a person should look at before sending the report upward."""

    kind: str  # submission | review
    agency: str
    code: str
    message: str
    where: str = ""
    # Still open: a person has not checked it yet (the figures it is about are marked).
    open: bool = False


@dataclass(frozen=True)
class ResponseStats:
    """Who answered, on time or late, with nothing to report, or not at all."""

    total: int
    submitted: tuple[str, ...]
    nil: tuple[str, ...]
    on_time: tuple[str, ...]
    late: tuple[str, ...]
    acknowledged: tuple[str, ...]
    not_responded: tuple[str, ...]

    @property
    def responded(self) -> int:
        """How many sent a report or a nil report."""
        return len(self.submitted) + len(self.nil)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "responded": self.responded,
            "submitted": len(self.submitted),
            "nil_report": len(self.nil),
            "on_time": len(self.on_time),
            "late": len(self.late),
            "acknowledged": len(self.acknowledged),
            "not_responded": len(self.not_responded),
        }


@dataclass
class Consolidation:
    """Everything the writers need, decided once."""

    campaign: Campaign
    as_of: dt.datetime
    agencies: list[AgencyReport]
    # index row id; columns group, label, plan, result, rate, reporting, plan_n, result_n, rate_n
    totals: pd.DataFrame
    matrix: pd.DataFrame  # long: code, name, row, group, label, plan, result, rate
    narrative: dict[str, list[NarrativeLine]]
    closing: list[tuple[str, str]]
    stats: ResponseStats
    problems: list[ProblemLine]
    # Per table row: the agencies whose figures in it come from a submission with open problems.
    doubtful: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per table row: how units were reconciled for its total (the unit of the total, figures
    # converted to it, figures left out of it), one sentence; only rows where units differ.
    unit_notes: dict[str, str] = field(default_factory=dict)
    # A review item's source ("mail:19", "file:3") in the words people know it by ("thư từ
    # a@b «…», nhận 12/08/2025 22:10"); a source missing here is shown as it is.
    sources: dict[str, str] = field(default_factory=dict)

    @cached_property
    def open_counts(self) -> dict[str, int]:
        """Per agency name: how many of the problems listed (`problems`, the «Vấn đề» sheet) are
        still open — the one count every writer prints ("Vấn đề chưa kiểm tra")."""
        counts: dict[str, int] = {}
        for p in self.problems:
            if p.open and p.agency:
                counts[p.agency] = counts.get(p.agency, 0) + 1
        return counts

    def open_count(self, agency: AgencyReport) -> int:
        """The open problems listed for one agency (see `open_counts`)."""
        return self.open_counts.get(agency.name, 0)

    @property
    def doubtful_agencies(self) -> tuple[str, ...]:
        """Names of the agencies with figures still to check, in list order."""
        return tuple(a.name for a in self.agencies if a.doubtful and a.state == "submitted")

    def totals_json(self) -> dict[str, dict[str, Any]]:
        """`{"1": {"plan", "result", "rate", "plan_n", "result_n", "rate_n", "basis"}, …}`: whole
        numbers as ints, null where no agency gave a value; `*_n` how many agencies each figure
        counts, `basis` the same in words (`totals_basis`)."""
        return {
            str(row_id): {
                **{m: json_number(row[m]) for m in MEASURES},
                **{f"{m}_n": int(row[f"{m}_n"]) for m in MEASURES},
                "basis": "; ".join(
                    t for t in (totals_basis(row, self.submitted_count), self.unit_notes.get(str(row_id), "")) if t
                ),
                **({"unit": row["unit"]} if "unit" in row and row["unit"] else {}),
            }
            for row_id, row in self.totals.iterrows()
        }

    @property
    def totals_note(self) -> str:
        """What the totals count, one sentence the Word, Excel and web tables share."""
        blank = [a.name for a in self.agencies if a.state == "submitted" and not has_figures(a)]
        without = f" ({len(blank)} đơn vị chưa có số liệu: {', '.join(blank)})" if blank else ""
        return f"Tổng hợp từ số liệu của {self.submitted_count} cơ quan, đơn vị đã gửi báo cáo{without}; {TOTALS_NOTE}."

    @property
    def submitted_count(self) -> int:
        """How many agencies sent a report (their figures are the table's basis)."""
        return sum(1 for a in self.agencies if a.state == "submitted")


# ---------------------------------------------------------------- text and numbers


def clean_text(value: str | None) -> str:
    """NFC, no control characters except newline and tab, unified newlines, trimmed."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip()
    # The outline's dotted blanks ("………;") left unfilled are no answer.
    return "" if _PLACEHOLDER.fullmatch(text) else text


def stock_key(text: str) -> str | None:
    """The normalised stock answer (`không có`) when the text is one, else None."""
    key = re.sub(r"\s+", " ", text.lower()).strip(" \t\n-–—•+*.;:!")
    if key in STOCK_ANSWERS:
        return key
    return None


def rate_of(plan: float | None, result: float | None) -> float | None:
    """result / plan × 100 rounded half-up to one decimal; None when plan is 0 or missing."""
    if not plan:
        return None
    value = Decimal(str(result or 0)) / Decimal(str(plan)) * 100
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def vn_rate(value: Any) -> str:
    """A percentage with one decimal: 85,0%."""
    return f"{vn_number(value, 1)}%" if json_number(value) is not None else ""


def vn_date(value: dt.date) -> str:
    """ngày 16 tháng 8 năm 2025 (NĐ 30: a leading zero for days 1–9 and months 1–2)."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def section_label(section_id: str) -> str:
    """The printed number of an outline item: `1.` for groups, `a)` / `đ)` for sections."""
    last = section_id.rsplit(".", 1)[-1]
    if last.isdigit():
        return f"{section_id}."
    return f"{_LETTER.get(last, last)})"


# ---------------------------------------------------------------- the model


def consolidate(
    campaign: Campaign,
    agencies: Sequence[AgencyReport],
    review: Sequence[ReviewNote] = (),
    *,
    as_of: dt.datetime,
    sources: Mapping[str, str] | None = None,
) -> Consolidation:
    """Build the consolidated model from each recipient's latest valid submission (`sources`:
    the review items' sources in words, see `Consolidation.sources`). `as_of` is the caller's
    (aware): the same inputs give the same report, whenever it is built."""
    as_of = as_of.astimezone(campaign.tz)
    agencies = list(agencies)
    matrix = figures_matrix(campaign, agencies)
    units = reconcile_units(campaign, matrix, agencies)
    hold_other_periods(agencies, units)
    totals = table_totals(campaign, units.counted)
    totals["unit"] = [units.row_units.get(str(rid), "") for rid in totals.index]
    return Consolidation(
        campaign=campaign,
        as_of=as_of,
        agencies=agencies,
        totals=totals,
        matrix=matrix,
        narrative=narrative(campaign, agencies),
        closing=[(a.name, t) for a in agencies if a.state == "submitted" and (t := closing_text(a))],
        stats=response_stats(agencies),
        problems=problem_lines(
            agencies, review, [*figures_not_entered(campaign, agencies), *units.problems, *rate_problems(campaign, agencies)]
        ),
        doubtful=doubtful_rows(matrix, agencies),
        unit_notes=units.notes,
        sources=dict(sources or {}),
    )


NO_FIGURES = "figures_not_entered"
# The problems the model itself finds, beside the parser's (`ProblemCode`), in words.
_MODEL_PROBLEMS = {
    "review": "Chờ cán bộ xem xét",
    "rate_recomputed": "Tỷ lệ tính lại sau khi sửa số liệu",
    NO_FIGURES: "Chưa nhập số liệu",
}


# A parser's place names for staff ("khối tiêu đề" is the parser's word for the letterhead).
_PLACE_WORDS = {"khối tiêu đề": "phần đầu văn bản (cơ quan ban hành, số, ngày)"}


def place_words(where: str) -> str:
    """Where a problem was found, in the words staff use."""
    for word, said in _PLACE_WORDS.items():
        where = where.replace(word, said)
    return where


def problem_label(code: str) -> str:
    """A problem's kind in Vietnamese (the parser's label, or the model's own); the code itself
    only for one neither knows."""
    try:
        return problem_code(code).label
    except ValueError:
        return _MODEL_PROBLEMS.get(code, code)
_BY_HAND = frozenset({Channel.PAPER, Channel.PHONE, Channel.HAND, Channel.MANUAL})


def has_figures(agency: AgencyReport) -> bool:
    """Some row of the agency's table has a figure (a "none" written as 0 counts)."""
    return any(f.plan is not None or f.result is not None or f.rate is not None for f in agency.figures.values())


def row_gap(fig: Figures) -> str | None:
    """What a table row lacks, in words, or None when it has both plan and result — the rule
    a file's rows are held to (`storage.submissions._missing`): a row with only one of plan and
    result, or only a rate, is not answered (a 0 is an answer)."""
    if fig.plan is not None and fig.result is not None:
        return None
    if fig.plan is None and fig.result is None:
        return f"chỉ có tỷ lệ ({vn_rate(fig.rate)}), chưa có kế hoạch và kết quả" if fig.rate is not None else "chưa nhập số liệu"
    return "có kế hoạch, chưa có kết quả" if fig.result is None else "có kết quả, chưa có kế hoạch"


def figures_not_entered(campaign: Campaign, agencies: Iterable[AgencyReport]) -> list[ProblemLine]:
    """A report a person recorded by hand (paper, phone, in person) whose figures nobody has
    typed in yet: counted as sent, absent from every total — said, not silent. Once a person
    has typed some of them (no file was read: every figure is a person's), each row still
    empty or half-filled is said too, one line a row: a partial entry is not a finished one."""
    lines = []
    for a in agencies:
        if a.state != "submitted" or a.channel not in _BY_HAND:
            continue
        how = CHANNEL_LABELS.get(a.channel or "", a.channel or "").lower()
        if not has_figures(a):
            lines.append(ProblemLine(
                "submission", a.name, NO_FIGURES,
                f"Báo cáo ({how}) chưa có số liệu bảng định lượng (chưa nhập): không có trong số liệu tổng hợp;"
                " nhập số liệu ở trang đơn vị.",
                open=True,
            ))
            continue
        if a.confidence is not None:
            continue  # a file was read: its own missing rows are the parser's to say
        for row in campaign.outline.table.rows:
            gap = row_gap(a.figures.get(row.id, Figures()))
            if gap is not None:
                lines.append(ProblemLine(
                    "submission", a.name, NO_FIGURES,
                    f"Dòng {row.id}: {gap} (báo cáo {how}, số liệu nhập tay chưa đủ): ô còn trống không có trong"
                    " số liệu tổng hợp; nhập tiếp ở trang đơn vị.",
                    f"dòng {row.id}", open=True,
                ))
    return lines


def doubtful_rows(matrix: pd.DataFrame, agencies: Iterable[AgencyReport]) -> dict[str, tuple[str, ...]]:
    """Rows whose totals include a figure from a submission with open problems."""
    doubtful = {a.code for a in agencies if a.doubtful}
    if not doubtful or matrix.empty:
        return {}
    hit = matrix[matrix["code"].isin(doubtful)].dropna(subset=["plan", "result"], how="all")
    out: dict[str, tuple[str, ...]] = {}
    for row_id, frame in hit.groupby("row", sort=False):
        out[str(row_id)] = tuple(dict.fromkeys(frame["name"]))
    return out


CLOSING_ORDER = ("danh_gia", "kho_khan", "kien_nghi", "phuong_huong")


def closing_text(agency: AgencyReport) -> str:
    """An agency's part III: its typed closing parts in order, one paragraph each. Only for a
    submission the parser did not read (entered by hand) the text outside the sections stands
    in: in a parsed one it is the opening sentence, a heading or a sheet header."""
    if agency.closing or agency.typed_closing:
        keys = [k for k in CLOSING_ORDER if k in agency.closing] + [k for k in agency.closing if k not in CLOSING_ORDER]
        parts = [clean_text(agency.closing[k]) for k in keys]
        return "\n".join(p for p in parts if p and not stock_key(p))
    return clean_text(agency.extra_text)


def figures_matrix(campaign: Campaign, agencies: Iterable[AgencyReport]) -> pd.DataFrame:
    """One line per (reporting agency, outline row); missing values stay null. The rate is
    the one `shown_rate` decides (recomputed once a person corrected plan or result)."""
    rows = campaign.outline.table.rows
    records = []
    for agency in agencies:
        if agency.state != "submitted":
            continue
        for row in rows:
            fig = agency.figures.get(row.id, Figures())
            rate, _ = shown_rate(fig)
            # A figure a person corrected is taken in the row's unit (they typed it so); the
            # other one of the row stays in the agency's unit (`fixed` names the corrected).
            fixed = fig.corrected & {"plan", "result"}
            records.append(
                (agency.code, agency.name, row.id, row.group, row.label, fig.plan, fig.result, rate,
                 "" if fixed == {"plan", "result"} else fig.unit, ",".join(sorted(fixed)))
            )
    columns = ["code", "name", "row", "group", "label", *MEASURES, "unit", "fixed"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype({m: "float64" for m in MEASURES})


# ---------------------------------------------------------------- units of the totals

UNIT_CONVERTED = "unit_converted"
UNIT_MISMATCH = "unit_mismatch"


@dataclass
class UnitReconciliation:
    """The matrix the totals add (figures converted to each row's unit, figures of another
    kind of unit blanked), the problems that says so, and per row its unit and a note."""

    counted: pd.DataFrame
    problems: list[ProblemLine] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    row_units: dict[str, str] = field(default_factory=dict)


def _counts_label(label: str) -> bool:
    words = clean_text(label).lower().split()
    return bool(words) and words[0] == "số" and not (len(words) > 1 and words[1] in ("tiền", "kinh", "vốn"))


def _kind_key(unit: Unit) -> tuple[str, str]:
    return (unit.kind, "" if unit.kind in (MONEY, COUNT) else unit.base)


def reconcile_units(
    campaign: Campaign, matrix: pd.DataFrame, agencies: Iterable[AgencyReport] = ()
) -> UnitReconciliation:
    """Never add different units silently. Per row the unit of its total is the outline's (when
    it names one), else that of most agencies (a row "Số …" counts things; a figure with no unit
    counts things, as the table asks). A figure in another scale of that unit (nghìn / triệu /
    tỷ đồng, nghìn lượt) is converted (`unit_converted`, a note); one in another kind of unit
    (triệu đồng beside counts) stays out of the total (`unit_mismatch`, open for a person) and
    the row's note names it."""
    out = UnitReconciliation(matrix.copy())
    if matrix.empty:
        return out
    agencies = list(agencies)
    provenance = {a.code: a.provenance for a in agencies}
    given = matrix.dropna(subset=["plan", "result"], how="all")
    for row in campaign.outline.table.rows:
        frame = given[given["row"] == row.id]
        if not frame.empty:
            _reconcile_row(row, frame, provenance, out)
    # The parser already said so of a unit differing from the outline's: listed once.
    said = {
        (a.name, p.code, row.id)
        for a in agencies for p in a.problems for row in campaign.outline.table.rows
        if p.code in (UNIT_MISMATCH, UNIT_CONVERTED) and _about_row(p, row.id)
    }
    out.problems = [p for p in out.problems if (p.agency, p.code, _row_of(p.message)) not in said]
    return out


def _row_of(message: str) -> str:
    found = re.match(r"Dòng (\S+):", message)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class _Reference:
    key: tuple[str, str]
    scale: int
    name: str
    basis: str


def _reference(row: Any, units: Mapping[Any, Unit | None], keys: Mapping[Any, tuple[str, str]]) -> _Reference:
    """The unit a row's total is in: the outline's, else the one most agencies use."""
    outline = read_unit(row.unit or "")
    if outline is not None and outline.kind:
        return _Reference(_kind_key(outline), outline.scale, outline.text, "theo đề cương")
    if _counts_label(row.label):
        key = (COUNT, "")
    else:
        tally: dict[tuple[str, str], int] = {}
        for k in keys.values():
            tally[k] = tally.get(k, 0) + 1
        key = max(tally, key=lambda k: (tally[k], k == (COUNT, "")))
    scales: dict[int, int] = {}
    for i, u in units.items():
        if u is not None and keys[i] == key:
            scales[u.scale] = scales.get(u.scale, 0) + 1
    scale = 1 if key[0] == COUNT or not scales else max(scales, key=lambda k: (scales[k], -k))
    sample = next((u for i, u in units.items() if u is not None and keys[i] == key), None)
    name = sample.name(scale) if sample is not None else "số lượng" if key[0] == COUNT else ""
    return _Reference(key, scale, name, "theo đa số đơn vị báo cáo")


def _reconcile_row(row: Any, frame: pd.DataFrame, provenance: Mapping[str, Mapping[str, str]], out: UnitReconciliation) -> None:
    units = {i: read_unit(str(u or "")) for i, u in frame["unit"].items()}
    outline = read_unit(row.unit or "")
    if outline is not None and outline.kind:
        # A figure with no unit is in the unit the outline asked for.
        units = {i: u if u is not None else outline for i, u in units.items()}
    keys = {i: _kind_key(u) if u is not None and u.kind else (COUNT, "") for i, u in units.items()}
    ref = _reference(row, units, keys)
    converted: list[str] = []
    left_out: list[str] = []
    for i, u in units.items():
        name, code = frame.at[i, "name"], frame.at[i, "code"]
        where = provenance.get(code, {}).get(row.id, "") or f"{code}: dòng {row.id}"
        shown = u.text if u is not None else "không ghi"
        figures = " / ".join(vn_number(frame.at[i, m]) or "–" for m in ("plan", "result"))
        if all(frame.at[i, m] == 0 or frame.at[i, m] != frame.at[i, m] for m in ("plan", "result")):
            continue  # nothing (0) is nothing in any unit
        # Measures a person corrected are in the row's unit already: never converted nor left out.
        own = [m for m in ("plan", "result") if m not in str(frame.at[i, "fixed"] or "").split(",")]
        if not own:
            continue
        if keys[i] != ref.key:
            out.counted.loc[i, own] = float("nan")
            left_out.append(f"{name} ({figures} {shown})")
            out.problems.append(ProblemLine(
                "submission", name, UNIT_MISMATCH,
                f"Dòng {row.id}: đơn vị tính «{shown}» khác đơn vị của dòng («{ref.name}», {ref.basis}); số liệu"
                f" {figures} không được cộng vào tổng, đề nghị đơn vị hoặc cán bộ kiểm tra.",
                where, open=True,
            ))
            continue
        scale = u.scale if u is not None else 1
        if scale == ref.scale:
            continue
        factor = Decimal(scale) / Decimal(ref.scale)
        for m in own:
            value = frame.at[i, m]
            if value == value:  # not NaN
                out.counted.at[i, m] = float(Decimal(str(value)) * factor)
        after = " / ".join(vn_number(out.counted.at[i, m]) or "–" for m in ("plan", "result"))
        converted.append(f"{name} ({figures} {shown} = {after} {ref.name})")
        out.problems.append(ProblemLine(
            "submission", name, UNIT_CONVERTED,
            f"Dòng {row.id}: số liệu ghi theo «{shown}» ({figures}) được đổi sang «{ref.name}» ({after}) khi cộng tổng.",
            where,
        ))
    if converted or left_out or (ref.name and ref.name != "số lượng"):
        out.row_units[row.id] = ref.name
    parts = []
    if converted:
        parts.append(f"đã đổi sang {ref.name}: {', '.join(converted)}")
    if left_out:
        parts.append(f"không cộng vào tổng vì khác đơn vị tính ({ref.name}): {', '.join(left_out)}")
    if parts:
        out.notes[row.id] = f"tổng tính theo đơn vị {ref.name}; " + "; ".join(parts)
    elif ref.key[0] != COUNT and ref.name:
        out.notes[row.id] = f"đơn vị tính: {ref.name}"  # an amount: the printed total needs its unit


WRONG_PERIOD = "wrong_period"


def held_for_period(agency: AgencyReport) -> bool:
    """The agency's report states another period than the campaign's and no person has accepted
    it yet (its `wrong_period` review item open; not known: open while any problem of it is)."""
    return any(
        p.code == WRONG_PERIOD and (p.open if p.open is not None else agency.doubtful) for p in agency.problems
    )


def hold_other_periods(agencies: Iterable[AgencyReport], out: UnitReconciliation) -> None:
    """Figures of a report for another period stay out of the totals until a person accepts the
    report (the parser's `wrong_period`, a review item): blanked in the counted matrix, and each
    row they would have added to says whose figures are left out."""
    held = {a.code: a.name for a in agencies if a.state == "submitted" and held_for_period(a)}
    if not held or out.counted.empty:
        return
    counted = out.counted
    hit = counted["code"].isin(list(held))
    given = counted[hit].dropna(subset=["plan", "result"], how="all")
    counted.loc[hit, ["plan", "result", "rate"]] = float("nan")
    for row_id, frame in given.groupby("row", sort=False):
        names = ", ".join(dict.fromkeys(frame["name"]))
        note = f"không cộng vào tổng vì báo cáo ghi kỳ khác kỳ đề nghị, chờ cán bộ kiểm tra: {names}"
        key = str(row_id)
        out.notes[key] = f"{out.notes[key]}; {note}" if out.notes.get(key) else note


def shown_rate(fig: Figures) -> tuple[float | None, str | None]:
    """The rate printed for one agency's row, and why it differs from what was given (None
    when it does not).

    With plan and result both given, result / plan × 100 is checked against the given rate:
    after a person corrected plan or result the file's rate is stale, so the recomputed one
    is shown (none, when the corrected figures leave nothing to compute it from); a rate a
    person typed is kept; an uncorrected rate that disagrees is kept as the agency reported it
    (the parser says so too) and flagged."""
    computed = rate_of(fig.plan, fig.result) if fig.plan is not None and fig.result is not None else None
    changed = bool(fig.corrected & {"plan", "result"}) and "rate" not in fig.corrected
    if computed is None and changed and fig.rate is not None:
        # The file's rate belonged to figures a person has since changed (one cleared, a plan
        # of 0): nothing to recompute it from, and the old rate is no longer true.
        return None, (
            None if fig.rate_derived
            else f"tỷ lệ ghi trong tệp {vn_rate(fig.rate)} bỏ đi: cán bộ đã sửa kế hoạch / kết quả và"
            " không còn đủ số để tính lại."
        )
    if computed is None or fig.rate is None:
        return (fig.rate if computed is None else computed), None
    if abs(fig.rate - computed) <= RATE_TOLERANCE:
        return (fig.rate if not fig.corrected & {"plan", "result"} else computed), None
    figures = f"{vn_number(fig.result)} / {vn_number(fig.plan)} = {vn_rate(computed)}"
    if "rate" in fig.corrected:
        return fig.rate, f"tỷ lệ cán bộ đã sửa {vn_rate(fig.rate)} không khớp kết quả / kế hoạch ({figures}); giữ số đã sửa, đề nghị kiểm tra."
    if fig.corrected & {"plan", "result"}:
        if fig.rate_derived:
            return computed, None  # the parser's own computation from the old figures: just redone
        return computed, (
            f"tỷ lệ ghi trong tệp {vn_rate(fig.rate)} không khớp số liệu cán bộ đã sửa ({figures});"
            f" dùng tỷ lệ tính lại {vn_rate(computed)}."
        )
    return fig.rate, f"tỷ lệ báo cáo {vn_rate(fig.rate)} không khớp kết quả / kế hoạch ({figures}); giữ số đơn vị báo cáo."


RATE_PROBLEM = "rate_inconsistent"
RATE_RECOMPUTED = "rate_recomputed"


def rate_problems(campaign: Campaign, agencies: Iterable[AgencyReport]) -> list[ProblemLine]:
    """A problem line for each shown rate that differs from a given one (`shown_rate`), unless
    the parser already said the same of an uncorrected row."""
    lines = []
    for agency in agencies:
        if agency.state != "submitted":
            continue
        for row in campaign.outline.table.rows:
            fig = agency.figures.get(row.id, Figures())
            _, why = shown_rate(fig)
            if why is None or (not fig.corrected and _parser_said(agency, row.id)):
                continue
            code = RATE_RECOMPUTED if fig.corrected & {"plan", "result"} and "rate" not in fig.corrected else RATE_PROBLEM
            where = agency.provenance.get(row.id, "")
            lines.append(ProblemLine("submission", agency.name, code, f"Dòng {row.id}: {why}", where))
    return lines


def _parser_said(agency: AgencyReport, row_id: str) -> bool:
    return any(p.code == RATE_PROBLEM and _about_row(p, row_id) for p in agency.problems)


def _about_row(problem: ProblemNote, row_id: str) -> bool:
    return clean_text(problem.message).startswith(f"Dòng {row_id}:")


def _stale(agency: AgencyReport, problem: ProblemNote) -> bool:
    """A parser's rate note about a row whose plan or result a person has since corrected: it
    describes figures no longer used (`rate_problems` says what is)."""
    if problem.code not in (RATE_PROBLEM, "rate_computed"):
        return False
    return any(
        fig.corrected & {"plan", "result"} and _about_row(problem, row_id)
        for row_id, fig in agency.figures.items()
    )


def table_totals(campaign: Campaign, matrix: pd.DataFrame) -> pd.DataFrame:
    """The table summed per row over the agencies that gave each figure (a blank is not 0: a
    column nobody filled stays null), the rate over the agencies that gave both plan and
    result, and per column how many agencies it counts (`plan_n`, `result_n`, `rate_n`)."""
    rows = campaign.outline.table.rows
    index = pd.Index([r.id for r in rows], name="row")
    by_row = matrix.groupby("row")
    both = matrix.dropna(subset=["plan", "result"]).groupby("row")
    both_plan, both_result = both["plan"].sum(), both["result"].sum()
    totals = pd.DataFrame({"group": [r.group for r in rows], "label": [r.label for r in rows]}, index=index)
    totals["plan"] = by_row["plan"].sum(min_count=1).reindex(index)
    totals["result"] = by_row["result"].sum(min_count=1).reindex(index)
    totals["rate"] = [
        rate_of(both_plan.get(rid), both_result.get(rid)) if rid in both_plan.index else None for rid in index
    ]
    totals = totals.astype({m: "float64" for m in MEASURES})
    totals["reporting"] = _count(matrix.dropna(subset=["plan", "result"], how="all").groupby("row").size(), index)
    totals["plan_n"] = _count(by_row["plan"].count(), index)
    totals["result_n"] = _count(by_row["result"].count(), index)
    totals["rate_n"] = _count(both.size(), index)
    return totals


def _count(series: pd.Series, index: pd.Index) -> pd.Series:
    return series.reindex(index).fillna(0).astype(int)


TOTALS_NOTE = (
    "mỗi cột cộng số liệu của các cơ quan, đơn vị có ghi số ở cột đó (ô trống không tính là 0);"
    " tỷ lệ của mỗi dòng = tổng kết quả / tổng kế hoạch × 100, chỉ tính trên các cơ quan, đơn vị"
    " ghi cả kế hoạch và kết quả của dòng đó"
)
NO_DATA = "chưa có số liệu"


def totals_basis(row: Mapping[str, Any], submitted: int) -> str:
    """What one totals row counts, in words: "" when every reporting agency gave both figures,
    `chưa có số liệu` when none gave any, else how many gave plan, result and both."""
    plan_n, result_n, rate_n = (int(row[f"{m}_n"]) for m in MEASURES)
    if not plan_n and not result_n:
        return NO_DATA
    if plan_n == result_n == rate_n == submitted:
        return ""
    return (
        f"kế hoạch: {plan_n}/{submitted} đơn vị ghi; kết quả: {result_n}/{submitted};"
        f" tỷ lệ tính trên {rate_n} đơn vị ghi cả hai"
    )


def narrative(campaign: Campaign, agencies: Iterable[AgencyReport]) -> dict[str, list[NarrativeLine]]:
    """Per section: each agency's own text, then stock answers grouped; empties omitted."""
    reporting = [a for a in agencies if a.state == "submitted"]
    nil_phrases = {p.lower().strip() for p in campaign.mailbox.nil_phrases}
    result: dict[str, list[NarrativeLine]] = {}
    for section in campaign.outline.sections:
        own: list[NarrativeLine] = []
        stock: dict[str, tuple[list[str], str]] = {}
        for agency in reporting:
            text = clean_text(agency.sections.get(section.id))
            if not text:
                continue
            key = stock_key(text) or (text.lower().rstrip(".") if text.lower().rstrip(".") in nil_phrases else None)
            if key is None:
                own.append(NarrativeLine((agency.name,), text))
                continue
            names, shown = stock.setdefault(key, ([], _sentence(text.lstrip("-–—•+* "))))
            names.append(agency.name)
        grouped = [NarrativeLine(tuple(n), t, stock=True) for n, t in stock.values()]
        result[section.id] = own + grouped
    return result


def _sentence(text: str) -> str:
    text = text.strip().rstrip(";:")
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def response_stats(agencies: Sequence[AgencyReport]) -> ResponseStats:
    """Names per outcome, in recipient-list order."""

    def names(pred: Any) -> tuple[str, ...]:
        return tuple(a.name for a in agencies if pred(a))

    return ResponseStats(
        total=len(agencies),
        submitted=names(lambda a: a.state == "submitted"),
        nil=names(lambda a: a.state == "nil_report"),
        on_time=names(lambda a: a.responded and not a.late),
        late=names(lambda a: a.responded and a.late),
        acknowledged=names(lambda a: a.state == "acknowledged"),
        not_responded=names(lambda a: a.state == "not_responded"),
    )


def problem_lines(
    agencies: Iterable[AgencyReport], review: Iterable[ReviewNote], rates: Iterable[ProblemLine] = ()
) -> list[ProblemLine]:
    """Problems of the submissions used (inconsistent rates first, a parser's note about
    figures since corrected left out), the rates `rate_problems` found, open review items."""
    lines = [
        ProblemLine(
            "submission", a.name, p.code, clean_text(p.message), p.where,
            open=p.open if p.open is not None else a.doubtful and p.code in BLOCKING_PROBLEMS,
        )
        for a in agencies
        if a.responded
        for p in a.problems
        if not _stale(a, p)
    ]
    lines += rates
    # Open ones first (a person must look), then inconsistent rates.
    lines.sort(key=lambda p: (not p.open, 0 if "rate" in p.code else 1))
    lines += [
        ProblemLine("review", r.agency, "review", clean_text(r.reason), r.source, open=True)
        for r in review
        if r.kind != "problem"  # a figure problem is listed with its submission above
    ]
    return lines
