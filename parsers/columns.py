"""Which column of the quantitative table plays which role, from its header and its figures.

Agencies name the columns their own way ("Kế hoạch đến năm 2025", "KH", "Chỉ tiêu giao";
"Kết quả", "KQ 2025", "TH", "Thực hiện", "Đạt được", "Lũy kế"; "Tỷ lệ", "% đạt", "TH/KH"),
stack them over several header rows (a role over its years), put them in any order and add
columns of their own. The header gives each column a role by its words (the lowest header cell
that names one; a period under a role is a breakdown of it); the figures then confirm: in a
real table rate ≈ result / plan × 100 row after row, which also finds a role the header did
not name and puts swapped columns right. A column holding figures that no role explains is a
problem, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import permutations

from parsers.model import Problem, ProblemCode
from parsers.numbers import parse_number
from parsers.textnorm import fold_words as _fold_words

fold_words = lru_cache(maxsize=8192)(_fold_words)

VALUE_ROLES = ("plan", "result", "rate")
ROLE_NAMES = {"plan": "Kế hoạch", "result": "Kết quả", "rate": "Tỷ lệ"}
# How far a reported rate may be from result/plan×100 (percentage points).
RATE_TOLERANCE = 1.0

# Phrases (accent-folded, whole words) naming each role. Rate first: it mentions the others.
RATE_WORDS = (
    "ty le", "ti le", "% dat", "dat %", "th kh", "kq kh", "th so voi kh", "kq so voi kh",
    "dat duoc so voi", "so voi ke hoach", "so voi kh", "so voi muc tieu", "muc do hoan thanh",
    "muc hoan thanh", "% hoan thanh", "hoan thanh %", "% so voi", "phan tram", "ty le %",
)
PLAN_WORDS = (
    "ke hoach", "kh", "kh giao", "chi tieu giao", "chi tieu ke hoach", "muc tieu", "du kien",
    "so giao", "giao", "dang ky", "chi tieu kh",
)
RESULT_WORDS = (
    "ket qua", "kq", "th", "thuc hien", "da thuc hien", "dat duoc", "da dat", "so dat", "luy ke",
    "so luong thuc hien", "uoc th", "uoc thuc hien", "thuc te", "ket qua dat duoc",
)
# A label column's header ("Nội dung", "Nhiệm vụ", "Chỉ tiêu", "Tên …"): not a value column.
LABEL_WORDS = ("noi dung", "nhiem vu", "chi tieu", "ten", "hang muc", "linh vuc", "danh muc", "dien giai")
STT_WORDS = {"tt", "stt", "so tt", "so thu tu", "thu tu"}
UNIT_WORDS = ("don vi tinh", "dvt", "don vi do", "don vi")
NOTE_WORDS = ("ghi chu", "ghi chu giai thich")
# "2023", "Năm 2024", "2018 - 2020", "Giai đoạn 2021-2025", "6 tháng đầu năm", "Quý II".
_PERIOD = re.compile(
    r"^(?:tu |den |den het |luy ke den |tinh den )?(?:nam |giai doan |gd |quy [ivx1-4]+ ?|6 thang .*)?"
    r"(?:(?:19|20)\d\d(?: (?:den )?(?:19|20)\d\d)?)?$"
)
_CUMULATIVE = ("luy ke", "tong", "cong", "den nam", "2018 2025", "ca giai doan", "toan giai doan")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


# One pattern per phrase list (the module's own constants): its leftmost match is where the
# first of the phrases occurs, as the smallest of one `find` per phrase.
_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _has(spaced: str, words: tuple[str, ...]) -> int:
    """Position of the first of `words` in the space-padded text (-1 when none)."""
    pattern = _PATTERNS.get(words)
    if pattern is None:
        pattern = _PATTERNS[words] = re.compile("|".join(re.escape(f" {w} ") for w in words) or "(?!)")
    found = pattern.search(spaced)
    return found.start() if found else -1


# The campaign's own column headings while one file is parsed (`campaign_columns`): set by
# the parser's entry point for that parse only, so every reader's header matching sees them.
_CAMPAIGN_COLUMNS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("campaign_columns", default=())


@contextmanager
def campaign_columns(columns: tuple[tuple[str, str], ...]) -> Iterator[None]:
    """Header cells holding one of these headings (role, text) take that role."""
    token = _CAMPAIGN_COLUMNS.set(columns)
    try:
        yield
    finally:
        _CAMPAIGN_COLUMNS.reset(token)


@lru_cache(maxsize=256)
def _folded_columns(columns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((role, f" {fold_words(text)} ") for role, text in columns if role in VALUE_ROLES and fold_words(text))


def value_role(text: str) -> str | None:
    """The value role a header cell names (plan, result, rate), if any: the campaign's own
    heading for a role when the cell holds it whole (one role only), else the general words."""
    return _value_role(text, _CAMPAIGN_COLUMNS.get())


@lru_cache(maxsize=8192)
def _value_role(text: str, columns: tuple[tuple[str, str], ...]) -> str | None:
    if columns:
        spaced = f" {fold_words(text)} "
        named = {role for role, heading in _folded_columns(columns) if heading in spaced}
        if len(named) == 1:
            return named.pop()
    return _general_role(text)


@lru_cache(maxsize=8192)
def _general_role(text: str) -> str | None:
    folded = fold_words(text)
    if not folded or len(folded) > 120:
        return None
    spaced = f" {folded} "
    if _has(spaced, RATE_WORDS) >= 0:
        return "rate"
    plan, result = _has(spaced, PLAN_WORDS), _has(spaced, RESULT_WORDS)
    label = _has(spaced, LABEL_WORDS)
    # "Nội dung thực hiện", "Chỉ tiêu" name the label column; "Chỉ tiêu giao" is a plan.
    named_plan = plan >= 0 and _has(spaced, ("chi tieu giao", "chi tieu ke hoach", "chi tieu kh")) >= 0
    if label >= 0 and (plan < 0 or label < plan) and (result < 0 or label < result) and not named_plan:
        return None
    if plan >= 0 and (result < 0 or plan <= result):
        return "plan"
    if result >= 0:
        return "result"
    if "%" in folded and len(folded) <= 12:  # a bare "%" or "(%)" column
        return "rate"
    return None


@lru_cache(maxsize=8192)
def aux_role(text: str) -> str | None:
    """The other roles a header cell names: stt, unit, note, period (a year, a stage)."""
    folded = fold_words(text)
    if not folded:
        return None
    if folded in STT_WORDS:
        return "stt"
    spaced = f" {folded} "
    if _has(spaced, NOTE_WORDS) >= 0:
        return "note"
    if _has(spaced, UNIT_WORDS) >= 0 and len(folded.split()) <= 4:
        return "unit"
    if _PERIOD.match(folded) and _YEAR.search(folded) or folded.startswith(("quy ", "6 thang")):
        return "period"
    return None


def is_cumulative(text: str) -> bool:
    """A header naming the whole period ("Lũy kế", "Tổng", "đến năm 2025", "2018 - 2025")."""
    spaced = f" {fold_words(text)} "
    return _has(spaced, _CUMULATIVE) >= 0


@dataclass
class ColumnRoles:
    """Role → column index, the other columns' roles, and the doubts found on the way."""

    columns: dict[str, int]
    aux: dict[int, str] = field(default_factory=dict)
    # Column → how its role was found: "header", "abbreviation", "data".
    how: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def header_roles(grid: list[list[str]], top: int, bottom: int) -> ColumnRoles:
    """Roles from the header block: each column's lowest naming cell; a period under a role
    is that role's breakdown (the cumulative one, if any, stands for the role)."""
    width = max(len(r) for r in grid[top : bottom + 1])
    direct: dict[str, list[int]] = {}
    breakdown: dict[str, list[int]] = {}
    aux: dict[int, str] = {}
    how: dict[int, str] = {}
    for j in range(width):
        stack = [grid[r][j] for r in range(bottom, top - 1, -1) if j < len(grid[r]) and grid[r][j]]
        if not stack:
            continue
        lowest = stack[0]
        role = value_role(lowest)
        if role:
            direct.setdefault(role, []).append(j)
            how[j] = "abbreviation" if len(fold_words(lowest)) <= 7 else "header"
            continue
        kind = aux_role(lowest)
        above = next((r for cell in stack[1:] if (r := value_role(cell))), None)
        if kind == "period" and above:
            breakdown.setdefault(above, []).append(j)
            aux[j] = "period"
            how[j] = "header"
        elif kind:
            aux[j] = kind
    columns: dict[str, int] = {}
    for role in VALUE_ROLES:
        cols = [c for c in direct.get(role, []) if c not in columns.values()]
        if cols:
            columns[role] = _prefer_cumulative(grid, top, bottom, cols)
            continue
        cols = [c for c in breakdown.get(role, []) if c not in columns.values()]
        cumulative = [c for c in cols if is_cumulative(_stack_text(grid, top, bottom, c))]
        if cumulative or len(cols) == 1:
            # The cumulative period stands for the role; a role over one period is that role.
            columns[role] = (cumulative or cols)[-1]
    for role, j in columns.items():
        aux.pop(j, None)
        for other in direct.get(role, []):
            if other != j and other not in columns.values():
                aux.setdefault(other, "period")  # a year of the role beside its total
    return ColumnRoles(columns, aux, how)


def _stack_text(grid: list[list[str]], top: int, bottom: int, j: int) -> str:
    return " ".join(grid[r][j] for r in range(top, bottom + 1) if j < len(grid[r]))


def _prefer_cumulative(grid: list[list[str]], top: int, bottom: int, cols: list[int]) -> int:
    """Several columns for one role (e.g. a year and the total): the cumulative/2025 one."""
    for j in cols:
        text = fold_words(_stack_text(grid, top, bottom, j))
        if "luy ke" in text or "2025" in text or "den nam" in text:
            return j
    return cols[0]


def _figures(rows: list[list[str]], j: int) -> list[float | None]:
    out: list[float | None] = []
    for row in rows:
        n = parse_number(row[j]) if j < len(row) else None
        out.append(n.value if n is not None else None)
    return out


def _agreement(plan: list[float | None], result: list[float | None], rate: list[float | None]) -> tuple[int, int]:
    """Rows where rate ≈ result / plan × 100 (or its fraction), and rows where it is not."""
    good = bad = 0
    for p, r, t in zip(plan, result, rate, strict=True):
        if p is None or r is None or t is None or p == 0:
            continue
        expected = r / p * 100
        if abs(t - expected) <= RATE_TOLERANCE or (t <= 1.5 and abs(t * 100 - expected) <= RATE_TOLERANCE):
            good += 1
        else:
            bad += 1
    return good, bad


def confirm_by_data(
    roles: ColumnRoles, grid: list[list[str]], data: range, *, skip: set[int], where: str
) -> ColumnRoles:
    """Check and complete the header's roles with the figures (rate ≈ result / plan × 100)."""
    rows = [grid[i] for i in data if i < len(grid)]
    width = max((len(r) for r in rows), default=0)
    numeric = [j for j in range(width) if j not in skip and sum(v is not None for v in _figures(rows, j)) >= 1]
    figures = {j: _figures(rows, j) for j in numeric}
    cols = roles.columns

    def of(role: str) -> list[float | None]:
        return figures.get(cols[role]) or _blank(rows)

    if set(VALUE_ROLES) <= set(cols):
        good, bad = _agreement(of("plan"), of("result"), of("rate"))
        if bad > good and bad >= 2:
            _reassign(roles, figures, where)
    else:
        _complete(roles, figures, rows, where)
    _unexplained(roles, figures, grid, where)
    return roles


def _blank(rows: list[list[str]]) -> list[float | None]:
    return [None] * len(rows)


def _search(roles: ColumnRoles, figures: dict[int, list[float | None]], fixed: dict[str, int]) -> dict[str, int] | None:
    """The assignment of the roles not in `fixed` to free numeric columns that the figures
    support best (rate ≈ result / plan × 100 in most rows, hardly any row against)."""
    missing = [r for r in VALUE_ROLES if r not in fixed]
    free = [j for j in figures if j not in fixed.values() and roles.aux.get(j) in (None, "period")]
    best: tuple[int, int, dict[str, int]] | None = None
    for chosen in permutations(free, len(missing)):
        trial = fixed | dict(zip(missing, chosen, strict=True))
        good, bad = _agreement(figures[trial["plan"]], figures[trial["result"]], figures[trial["rate"]])
        kept = sum(roles.columns.get(r) == trial[r] for r in VALUE_ROLES)
        if good >= 2 and bad <= good // 4 and (best is None or (good, kept) > best[:2]):
            best = (good, kept, trial)
    return best[2] if best else None


def _apply(roles: ColumnRoles, trial: dict[str, int], where: str) -> None:
    for role in VALUE_ROLES:
        j = trial[role]
        if roles.columns.get(role) == j:
            continue
        old = roles.columns.get(role)
        roles.columns[role] = j
        roles.aux.pop(j, None)
        if old is not None and old not in trial.values():
            roles.aux[old] = "period"  # the header's choice, not the figures': keep it aside
        roles.how[j] = "data"
        named = "không được tiêu đề gọi tên" if old is None else f"thay cho cột {old + 1}"
        roles.problems.append(Problem(
            ProblemCode.COLUMN_FROM_DATA,
            f"Cột {j + 1} ({named}) được xác định là cột {ROLE_NAMES[role]} theo số liệu"
            " (tỷ lệ = kết quả / kế hoạch × 100); đề nghị kiểm tra.",
            where,
        ))


def _reassign(roles: ColumnRoles, figures: dict[int, list[float | None]], where: str) -> None:
    """The header's columns contradict their figures: the best supported assignment instead."""
    if not all(roles.columns[r] in figures for r in VALUE_ROLES):
        return
    trial = _search(roles, figures | {}, {})
    if trial is not None:
        _apply(roles, trial, where)


def _complete(roles: ColumnRoles, figures: dict[int, list[float | None]], rows: list[list[str]], where: str) -> None:
    """Find the roles the header did not name among the free numeric columns."""
    fixed = {r: j for r, j in roles.columns.items() if j in figures}
    trial = _search(roles, figures, fixed)
    if trial is not None:
        _apply(roles, trial, where)


def _unexplained(roles: ColumnRoles, figures: dict[int, list[float | None]], grid: list[list[str]], where: str) -> None:
    for j in figures:
        if j in roles.columns.values() or j in roles.aux:
            continue
        count = sum(v is not None for v in figures[j])
        if count < 1:
            continue
        roles.problems.append(Problem(
            ProblemCode.COLUMN_UNEXPLAINED,
            f"Cột {j + 1} có {count} số liệu nhưng không rõ là Kế hoạch, Kết quả hay Tỷ lệ; các số này"
            " không được lấy, đề nghị kiểm tra.",
            where,
        ))
