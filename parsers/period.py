"""The period a report says it covers, against the period the campaign asks for.

A report for another period (last year's "Báo cáo kết quả năm 2023" sent again, its table's
columns "Kế hoạch năm 2023 / Kết quả năm 2023") reads like the one asked for: its figures would
be added to the cumulative totals as if they were. What the document states is read from
three places — the title block, the headings of the table's plan and result columns, the
document's own date — and a statement that does not reach the campaign's last year is a
`wrong_period` problem (blocking: a person decides). A year the text only mentions ("so với
năm 2023", a decision "ngày 10 tháng 8 năm 2018", "giai đoạn 2018 – 2025") is no statement of
another period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.model import Problem, ProblemCode
from parsers.textnorm import fold

# A year of a plan or a report (1975 on); never a document's number ("Số: 1901/BC-SCT").
_Y = r"(?:19[89]\d|20\d{2})"
_YEAR = rf"(?<![\d/]){_Y}(?![\d/])"
# A date: "10/8/2018", "10-8-2018", "tháng 8 năm 2018", "tháng 8/2018" (folded text).
_DATE = re.compile(rf"\b\d{{1,2}}\s*[/.-]\s*\d{{1,2}}\s*[/.-]\s*{_Y}\b|\bthang\s+\d{{1,2}}\s*(?:nam|/)\s*{_Y}\b")
# A comparison or a horizon: "so với (cùng kỳ) năm 2023", "định hướng đến năm 2030".
_ASIDE = re.compile(rf"\b(?:so voi|dinh huong|tam nhin)\b(?:\s+\S+){{0,3}}?\s+{_YEAR}\b")
_RANGE = re.compile(rf"\b({_YEAR})\s*(?:-|–|—|den|toi)\s*(?:nam\s+)?({_YEAR})\b")
_SINGLE = re.compile(rf"\b({_YEAR})\b")


@dataclass(frozen=True)
class Stated:
    """One period a text states: its last year, and the words that said so."""

    last: int
    text: str


def stated_periods(text: str, *, dates_count: bool = False) -> list[Stated]:
    """The periods a line states, by their last year ("năm 2023" → 2023, "2018 – 2025" → 2025).
    Dates are left out unless `dates_count` (a column "Kết quả đến 31/7/2025" states 2025)."""
    folded = " ".join(fold(text).split())
    if dates_count:
        folded = re.sub(rf"\b\d{{1,2}}\s*[/.-]\s*\d{{1,2}}\s*[/.-]\s*({_Y})\b", r" \1 ", folded)
    else:
        folded = _DATE.sub(" ", folded)
    folded = _ASIDE.sub(" ", folded)
    out = []
    for m in _RANGE.finditer(folded):
        out.append(Stated(int(m.group(2)), m.group(0)))
    folded = _RANGE.sub(" ", folded)
    out += [Stated(int(m.group(1)), m.group(0)) for m in _SINGLE.finditer(folded)]
    return out


def _off(lines: Sequence[str], last: int, *, dates_count: bool = False) -> list[str]:
    """The lines that state a period, when none of their statements reaches `last` (a line
    "giai đoạn đến năm 2025, định hướng 2030" reaches it; "Kế hoạch năm 2023" does not)."""
    said = [(line, stated_periods(line, dates_count=dates_count)) for line in lines]
    said = [(line, s) for line, s in said if s]
    if not said or any(p.last == last for _, s in said for p in s):
        return []
    return [line for line, _ in said]


# How long before the request's date a reply may be dated (a letter prepared while the request
# was being signed): longer than this, it was written for something else.
EARLY_DAYS = 92


def period_problem(
    *,
    period: tuple[int, int] | None,
    request_date: dt.date | None,
    title_lines: Sequence[str],
    column_headers: Sequence[tuple[str, str]],
    doc_date: dt.date | None,
) -> Problem | None:
    """`wrong_period` when the title, the plan/result column headings (`(heading, where)`) or the
    document's date say the report is for another period than the campaign's (`period`: first
    and last year; None: the campaign names none, nothing is checked for years)."""
    reasons: list[str] = []
    where: list[str] = []
    if period is not None:
        first, last = period
        title = _off(title_lines, last)
        if title:
            reasons.append(f"tiêu đề ghi «{title[0][:90]}»")
            where.append("khối tiêu đề")
        heads = _off([h for h, _ in column_headers], last, dates_count=True)
        if heads:
            shown = " / ".join(dict.fromkeys(heads))
            reasons.append(f"cột số liệu ghi «{shown[:90]}»")
            where.append(next(w for h, w in column_headers if h in heads) or "bảng định lượng")
        asked = f"giai đoạn {first} – {last}" if first != last else f"năm {last}"
    else:
        asked = "kỳ báo cáo của công văn"
    if request_date is not None and doc_date is not None and (request_date - doc_date).days > EARLY_DAYS:
        reasons.append(f"văn bản đề ngày {doc_date:%d/%m/%Y}, trước công văn yêu cầu ({request_date:%d/%m/%Y})")
        if "khối tiêu đề" not in where:
            where.append("khối tiêu đề")
    if not reasons:
        return None
    return Problem(
        ProblemCode.WRONG_PERIOD,
        f"Báo cáo có thể không đúng kỳ đề nghị ({asked}): {'; '.join(reasons)}. Số liệu chưa được cộng vào"
        " tổng hợp cho tới khi cán bộ kiểm tra và chấp nhận (hoặc đề nghị đơn vị gửi báo cáo đúng kỳ).",
        ", ".join(dict.fromkeys(where)),
    )
