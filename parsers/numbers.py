"""Vietnamese numbers as agencies write them in the table → float | None, keeping the raw text.

Rules (Vietnamese convention: `.` groups thousands, `,` is the decimal mark):
- `1.250` → 1250, `1.250.000` → 1250000, `1.250,5` → 1250.5, `12,5` → 12.5, `05` → 5, `0` → 0;
- `100%`, `80 %` → 100, 80; `15 chuẩn`, `khoảng 20 người` → the first number (a unit word or
  a few words around it are fine); several numbers (`02 chuẩn, 03 PTĐ`) → the first, flagged
  `several`;
- blank, `-`, `–`, `x`, `Không`, `không có`, `chưa có`, `…`, `N/A` → None; all but the blank
  (and Excel's error values) are the agency's explicit "none" (`explicit_none`), as is `0`;
- one dot not followed by exactly three digits (`1.5`, `12.50`) → a decimal point (1.5, 12.5):
  nobody groups thousands like that;
- one comma followed by exactly three digits (`1,250`) is ambiguous: Vietnamese reads it as
  1.25, English-style software (Excel set to English) writes 1250. The table counts things
  (enterprises, instruments, people), so a comma followed by exactly three digits with a
  non-zero integer part is read as a thousands separator (1250) and flagged `ambiguous`;
  `0,125` stays 0.125. Several commas (`1,250,000`) are thousands separators;
- both marks present: the last one is the decimal mark (`1.250,5` and `1,250.5` → 1250.5);
- a grouping that is no grouping (`1.250.5`, `1,25,0`, `1.25,5`: a repeated mark or the mark
  before the decimal one not followed by groups of three digits) is no number: unreadable
  (a person reads it; 1.2505 would be a guess);
- a scale word after the number (`2 tỷ đồng`, `1,5 triệu`, `3 nghìn`) multiplies it (2·10⁹,
  1,5·10⁶, 3·10³: what the text says) and the number is flagged `scale` (the word): the row's
  unit column may already be in millions, so a person confirms (problem `number_scaled`);
- a bound or an estimate (`Trên 1.200`, `hơn 50`, `khoảng 20`, `gần 300`, `> 100`, `1.200+`,
  `100 trở lên`) is read as its number and flagged `approx` (the words): the true figure is not
  that number, so a person confirms (problem `number_approximate`);
- values that are already numbers (Excel cached values) pass through.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

_NULL_WORDS = {
    "",
    "-",
    "--",
    "–",
    "—",
    "x",
    "k",
    "0/0",
    "n/a",
    "na",
    "không",
    "khong",
    "không có",
    "khong co",
    "không phát sinh",
    "chưa có",
    "chưa",
    "chưa thực hiện",
    "...",
    "…",
    "/",
    # Excel error values of a formula (e.g. a rate over an empty plan): no number.
    "#div/0!",
    "#n/a",
    "#value!",
    "#ref!",
    "#num!",
    "#name?",
}
_NONE_STARTS = ("không", "chưa", "khong", "chua", "n/a")
_TOKEN = re.compile(r"(?<![\d.,])-?\d[\d.,]*")
_SPACE_GROUPS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))")
# A scale word right after the number ("2 tỷ đồng", "1,5 triệu"); "tỷ lệ" is a rate, not a scale.
# (Unaccented "ty"/"ti" are left out: "5 ti vi" is five television sets.)
_SCALE = re.compile(r"\s*(nghìn|ngàn|nghin|triệu|trieu|tỷ|tỉ)(?!\w)(?!\s*lệ)", re.I)
# Words before a number that make it a bound or an estimate, and after it ("1.200+", "trở lên").
_APPROX_BEFORE = re.compile(
    r"(?:^|\s)(trên|hơn|khoảng|gần|xấp xỉ|ước tính|ước khoảng|ước đạt|ước|dưới|ít nhất|tối thiểu|tối đa|chừng"
    r"|non|ngót|>=|<=|>|<|≥|≤|~|≈)\s*$",
    re.I,
)
_APPROX_AFTER = re.compile(r"\s*(\+|trở lên|trở xuống)", re.I)
# An estimate said anywhere in the cell ("1.200 (ước tính)", "Khoảng: 1.200", "(ước) 1.200"),
# and bounds typed without accents ("tren 1.300"). A bare "ước" only when set apart: "Công ước"
# is a convention, not an estimate.
_APPROX_ANYWHERE = re.compile(
    r"(?<!\w)(khoảng|khoang|ước tính|uoc tinh|ước đạt|ước khoảng|tạm tính|xấp xỉ)(?!\w)|\((ước|uoc)\)"
    r"|(?:^|\s)(ước|uoc)\s*:|(?:^|\s)(tren)\s*[\d(]",
    re.I,
)
_SCALES = {"nghìn": 1000, "ngàn": 1000, "nghin": 1000, "triệu": 10**6, "trieu": 10**6, "tỷ": 10**9, "tỉ": 10**9}


@dataclass(frozen=True)
class Number:
    """A number read from a cell: the value (None when there is none), the raw text, doubts."""

    value: float | None
    raw: str
    ambiguous: bool = False
    # Text held something that is not a number nor a known "none" word (e.g. "đang cập nhật").
    unreadable: bool = False
    # Text held several numbers ("02 chuẩn, 03 phương tiện"): the first one was taken.
    several: bool = False
    # The agency wrote "none" ("-", "x", "Không", "Không phát sinh", "0"): an answer, not a blank.
    explicit_none: bool = False
    # The scale word applied ("tỷ" in "2 tỷ đồng": value 2·10⁹), "" when there was none.
    scale: str = ""
    # The number is a bound or an estimate ("Trên 1.200": "trên"), "" when it is exact.
    approx: str = ""


def clean_text(value: object) -> str:
    """NFC text with non-breaking spaces and runs of whitespace collapsed to one space."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.replace("\u00a0", " ").split())


def parse_number(value: object) -> Number:
    """Read one cell's value as a number the Vietnamese way (see the module docstring)."""
    if isinstance(value, bool):
        return Number(None, str(value), unreadable=True)
    if isinstance(value, int | float):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return Number(None, str(value))
        return Number(float(value), _raw_number(value), explicit_none=value == 0)
    if type(value) is str:
        # A table's cells are read several times (column roles from data, values, totals) and
        # the same few texts ("-", "0", "100%") fill every report: the (frozen) result is kept.
        return _parse_text(value)
    return _parse_text(str(value)) if value is not None else _parse_text("")


@lru_cache(maxsize=8192)
def _parse_text(value: str) -> Number:
    raw = clean_text(value)
    folded = raw.lower().strip(" .;:")
    if not folded or folded.startswith("#"):
        return Number(None, raw)
    if folded in _NULL_WORDS:
        return Number(None, raw, explicit_none=True)
    text = _SPACE_GROUPS.sub("", raw)
    match = _TOKEN.search(text)
    if match is None:
        # "Không giao", "Chưa triển khai": a way of saying none, not an unreadable number.
        none = folded.startswith(_NONE_STARTS)
        return Number(None, raw, unreadable=not none, explicit_none=none)
    token = match.group(0).rstrip(".,")
    number, ambiguous = _read_token(token)
    several = _TOKEN.search(text, match.end()) is not None
    zero = number == 0 and not several
    scale = _SCALE.match(text, match.start() + len(token))
    word = ""
    if scale is not None and number is not None and not zero:
        word = scale.group(1).lower()
        number = float(Decimal(str(number)) * _SCALES[word])
    approx = ""
    if number is not None:
        before = _APPROX_BEFORE.search(text[: match.start()])
        after = _APPROX_AFTER.match(text, scale.end() if scale is not None else match.start() + len(token))
        approx = (before.group(1) if before else after.group(1) if after else "").lower()
        if not approx and (anywhere := _APPROX_ANYWHERE.search(text)) is not None:
            approx = next(g for g in anywhere.groups() if g).lower()
    return Number(
        number, raw, ambiguous=ambiguous, unreadable=number is None, several=several, explicit_none=zero, scale=word,
        approx=approx,
    )


def number_value(value: object) -> float | None:
    """Just the value of `parse_number`."""
    return parse_number(value).value


def _read_token(token: str) -> tuple[float | None, bool]:
    """A token of digits, dots and commas → (value, ambiguous)."""
    sign = -1.0 if token.startswith("-") else 1.0
    body = token.lstrip("-")
    dots, commas = body.count("."), body.count(",")
    ambiguous = False
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        whole, _, fraction = body.rpartition(decimal)
        if decimal in whole or not _grouped(whole.split(grouping)):
            return None, False  # "1.25,5", "1,2.3.4": no way of writing a number
        body = whole.replace(grouping, "") + "." + fraction
    elif dots:
        head = body.partition(".")[0]
        body = _single_mark(body, ".", dots, thousands_if_three=head.strip("0") != "")
    elif commas:
        head, _, tail = body.partition(",")
        ambiguous = commas == 1 and len(tail) == 3 and head.strip("0") != ""
        body = _single_mark(body, ",", commas, thousands_if_three=head.strip("0") != "")
    try:
        return sign * float(body), ambiguous
    except ValueError:
        return None, False


def _single_mark(body: str, mark: str, count: int, *, thousands_if_three: bool) -> str:
    """Only one kind of mark: thousands when repeated or (if allowed) before exactly 3 digits."""
    groups = body.split(mark)
    if count > 1:
        # Repeated: thousands groups, or no number ("1.250.5" is not 1.2505; float() refuses "").
        return "".join(groups) if _grouped(groups) else ""
    if len(groups[1]) == 3 and thousands_if_three:
        return "".join(groups)
    return groups[0] + "." + groups[1]


def _grouped(groups: list[str]) -> bool:
    """Thousands groups: a non-empty head, then groups of exactly three digits."""
    return bool(groups[0]) and all(len(g) == 3 for g in groups[1:])


def _raw_number(value: int | float) -> str:
    """How a numeric cell reads as text: 1250, 12.5 (no float noise)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(round(value, 10))
    return str(value)


# --- writing numbers the Vietnamese way ---------------------------------------------------


def json_number(value: Any) -> int | float | None:
    """Whole numbers as ints, NaN/None as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def vn_number(value: Any, decimals: int | None = None, *, blank: str = "") -> str:
    """A number the Vietnamese way: 1.250 and 12,5 (`blank` for None). The one formatter of the
    project: receipts, reports, the CLI and the web all print through it (half up, 2 decimals)."""
    number = json_number(value)
    if number is None:
        return blank
    trim = decimals is None
    if decimals is None:
        decimals = 0 if isinstance(number, int) else 2
    exact = Decimal(str(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
