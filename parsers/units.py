"""Units of the quantitative table ("Đơn vị tính") as agencies write them → a typed `Unit`.

A unit is a kind (money, a count of things, a percentage, or some other measure), a base
("đồng", "lượt", "người") and a scale (1, 10³, 10⁶, 10⁹): "triệu đồng", "Tr.đồng", "trđ" are
money × 10⁶; "nghìn lượt" is a count × 10³; "người", "doanh nghiệp", "phương tiện" are counts.
Two units of one kind differ only by their scale, so a figure converts from one to the other
(1.500 triệu đồng = 1,5 tỷ đồng); units of different kinds never add up. Counts of different
things ("người" / "lượt") are one kind: a row of the outline counts one thing, and agencies
name it their own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from parsers.textnorm import clean, fold_words

MONEY = "money"
COUNT = "count"
PERCENT = "percent"

# Units of things counted one by one (folded): a count is a whole number.
COUNT_UNITS = (
    "nguoi", "luot", "luot nguoi", "doanh nghiep", "dn", "phuong tien", "ptd", "chuan", "chat chuan", "nhiem vu",
    "de tai", "co so", "don vi", "to chuc", "can bo", "chiec", "cai", "bo", "thiet bi", "lop", "khoa", "hoi nghi",
    "hoi thao", "bai", "tin", "van ban", "san pham", "cuoc", "ho", "mau", "giay chung nhan", "phong thi nghiem",
)
# Scale words (accented, lowercase) before the base: "triệu đồng", "Tr.đồng", "nghìn lượt".
_SCALE_WORDS = {
    "nghìn": 1000, "ngàn": 1000, "nghin": 1000, "ngan": 1000, "ng": 1000,
    "triệu": 10**6, "trieu": 10**6, "tr": 10**6,
    "tỷ": 10**9, "tỉ": 10**9,
}
_SCALE_NAMES = {1000: "nghìn", 10**6: "triệu", 10**9: "tỷ"}
_MONEY_BASES = {"đồng", "đ", "vnđ", "vnd", "dong", "vnđồng"}
# Glued abbreviations: "trđ", "trđồng", "ngđ", "tỷđ".
_GLUED = re.compile(r"^(tr|ng|tỷ|tỉ)(đồng|đ)$")


@dataclass(frozen=True)
class Unit:
    """A unit as written (`text`), its kind, base and scale."""

    text: str
    kind: str
    base: str
    scale: int = 1

    def same_kind(self, other: Unit) -> bool:
        """Whether figures in the two units add up once converted (one kind, one base for an
        unknown measure)."""
        if self.kind != other.kind:
            return False
        return self.kind in (MONEY, COUNT, PERCENT) or self.base == other.base

    def name(self, scale: int | None = None) -> str:
        """How to print the unit at `scale` (its own by default): "triệu đồng", "nghìn lượt"."""
        scale = self.scale if scale is None else scale
        word = _SCALE_NAMES.get(scale, "")
        base = self.base or ("đồng" if self.kind == MONEY else "")
        return " ".join(w for w in (word, base) if w) or self.text


@lru_cache(maxsize=4096)
def read_unit(text: str) -> Unit | None:
    """The unit a cell or a header names, None when the text names none (blank, a dash)."""
    shown = clean(text or "").strip(" ()[]:;,.")
    if not shown or not re.search(r"[^\W\d_]|%", shown):
        return None
    words = re.sub(r"(?<!\d)\.|\.(?!\d)|[()\[\]/]", " ", shown.lower()).split()
    if len(words) == 1 and (m := _GLUED.match(words[0])):
        words = [m.group(1), m.group(2)]
    scale = 1
    if words and words[0] in _SCALE_WORDS and (len(words) > 1 or words[0] not in ("ng", "tr")):
        scale = _SCALE_WORDS[words.pop(0)]
    elif words and re.fullmatch(r"1[.,]?000(?:[.,]?000)*", words[0]) and len(words) > 1:
        scale = int(re.sub(r"\D", "", words.pop(0)))  # "1.000 đồng": thousands of đồng
    base = " ".join(words)
    if " " in base and base.replace(" ", "") in _MONEY_BASES:
        base = base.replace(" ", "")  # "Tr.đồn g": a word a PDF cell broke over two lines
    if base in _MONEY_BASES or (words and words[0] in _MONEY_BASES):
        return Unit(shown, MONEY, "đồng", scale)
    if base in ("%", "phần trăm"):
        return Unit(shown, PERCENT, "%", 1)
    folded = fold_words(base)
    if not base:
        # A bare scale ("nghìn", "triệu"): of whatever the row counts.
        return Unit(shown, "", "", scale) if scale != 1 else None
    if any(folded == u or folded.startswith(u + " ") for u in COUNT_UNITS):
        return Unit(shown, COUNT, base, scale)
    return Unit(shown, "other", folded, scale)


# A unit in a value column's header: "Kết quả (nghìn lượt)", "Kế hoạch (triệu đồng)".
_PAREN = re.compile(r"\(([^()]{1,30})\)")


def header_unit(text: str) -> Unit | None:
    """The unit a value column's header names in parentheses, if it names one with a scale or
    a known kind ("(nghìn lượt)", "(triệu đồng)", "(người)"); years, "%" and notes are not units."""
    for found in _PAREN.findall(clean(text or "")):
        unit = read_unit(found)
        if unit is None or re.search(r"\d{4}", found):
            continue
        if unit.kind in (MONEY, COUNT) or (unit.kind == "" and unit.scale != 1):
            return unit
    return None


# A unit named inside a note: "ĐVT: tỷ đồng", "Kinh phí, đơn vị: tỷ đồng", "(triệu đồng)".
_NOTE_NAMED = re.compile(r"(?:đơn vị tính|don vi tinh|đơn vị|don vi|đvt|dvt)\s*[:：=\-]\s*([^,;()\n]+)", re.I)


def note_unit(text: str) -> Unit | None:
    """The unit a note cell ("Ghi chú") states for its row: the whole note when it is a unit
    ("tỷ đồng", "người", "DN", "%"), or one it names ("ĐVT: triệu đồng", "Kinh phí (tỷ đồng)").
    A note that only mentions an amount ("kinh phí 300 triệu đồng": a figure of its own) or
    says something else ("số liệu ước") states none."""
    shown = clean(text or "").strip(" ()[]:;,.")
    if not shown:
        return None
    options = [m.group(1) for m in _NOTE_NAMED.finditer(shown)]
    options += [p for p in _PAREN.findall(clean(text)) if not re.search(r"\d", p)]
    if len(shown.split()) <= 3 and not re.search(r"\d", shown):
        options.append(shown)
    for option in options:
        unit = read_unit(option)
        if unit is not None and (unit.kind in (MONEY, COUNT, PERCENT) or (unit.kind == "" and unit.scale != 1)):
            return unit
    return None
