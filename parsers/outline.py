"""Find the outline's narrative sections in a `Doc`, however the agency typed the headings.

Evidence is combined per paragraph: a label (typed `2.1.`, `a)`, `đ.` or produced by Word's
automatic numbering), the heading text (fuzzy, accent-folded, against the outline heading and
its synonyms), and how it looks (bold, Heading style, ends with a colon or a leader). Letters
only mean something under their parent group, so the current group (1, 2.1 … 2.5) is tracked.
A section's text runs from its heading to the next heading of any kind; the answer may also sit
on the heading's own line after a colon. The quantitative table and its title are not section
text. Closing parts (đánh giá, khó khăn, kiến nghị, phương hướng) are typed by their heading's
words, their numbered or run-in sub-headings switching the part; a group's own text (after its
heading's colon, or before its first section) is kept for the group. Closing parts and anything
that fits no section also go to `extra_text`; the header block, the "Nơi nhận" list and the
signature are dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from parsers.caching import per_outline
from parsers.document import Doc, Para, Table
from parsers.kind import NIL_WORDING, NIL_WORDING_SHORT
from parsers.model import (
    JOINT,
    OutlineSpec,
    Problem,
    ProblemCode,
    SectionSpec,
    SectionText,
    group_coverage,
)
from parsers.textnorm import clean, fold_words, is_leader_only, strip_leaders
from parsers.vocab import display_id

# A label typed at the start of a paragraph: "I.", "2.", "2.1.", "2.1 ", "a)", "đ.", "(a)", "2.2.đ)".
# Terminators agencies use after a label: "a)", "a.", "a/", "a -", "1.", "1/", "1 -", "I.", "I -".
_LABEL = re.compile(
    r"^\s*(?:"
    r"(?P<path_letter>\d{1,2}(?:\.\d{1,2}){0,2}\.(?:[a-zđ]))(?:[\)\.:/]\s*|\s+)"
    r"|(?:phần|PHẦN|Phần)\s+(?P<part>[IVX]{1,4}|thứ\s+\w+)\s*[\.\):\-–]?\s*"
    r"|(?P<roman>[IVX]{1,4})(?:[\.\):]|/\s|\s*[-–]\s)\s*"
    # A sheet's "I | CÔNG TÁC LÃNH ĐẠO" read as one line: a numeral, a space, capitals.
    r"|(?P<roman_cell>[IVX]{1,4})\s+(?=[^\W\d_]{2})"
    r"|(?P<path>\d{1,2}(?:\.\d{1,2}){0,3})(?:\.|\)|/(?!\d)|\s*[-–]\s|\s)\s*"
    r"|\(?(?P<letter>[a-zđA-ZĐ])(?:[\)\.]|/(?![vV]\b)|\s*[-–]\s)\s*"
    r"|(?P<bullet>[-–+•*])\s*"
    r")",
)
_ORDINALS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5}
_VN_LETTERS = ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "x", "y"]
_CLOSING = (
    "danh gia chung",
    "danh gia ket qua",
    "danh gia",
    "kho khan",
    "ton tai",
    "han che",
    "de xuat",
    "kien nghi",
    "phuong huong",
    "nhiem vu giai phap",
    "giai phap trong thoi gian toi",
    "ke hoach thoi gian toi",
    "nhiem vu trong thoi gian toi",
    "bai hoc kinh nghiem",
    "nguyen nhan",
)
_PART_ONE = "tinh hinh trien khai va ket qua thuc hien de an"
_SIGNATURE_START = re.compile(r"^(?:KT|TM|TL|TUQ|Q)\s*\.", re.IGNORECASE)
# Template text left in place: "(Nội dung báo cáo)", "[Nhập nội dung]", "Nhấp vào đây để nhập…".
_PLACEHOLDER = re.compile(
    r"^(?:[\(\[]\s*(?:nội dung|ghi|điền|nhập)[^\)\]]{0,60}[\)\]]"
    r"|(?:nhấp|bấm|click)\b.{0,80}(?:nhập|điền|văn bản)\b.{0,20})$",
    re.IGNORECASE,
)


@dataclass
class _Line:
    text: str
    auto_label: str = ""
    bold: bool = False
    heading_style: bool = False
    where: str = ""
    table: int | None = None  # index into doc.tables for a table line
    block: Table | None = None
    sheet_header: bool = False  # a spreadsheet's column header ("Mục | Nội dung")


@dataclass
class OutlineReading:
    """Sections found, the leftover text and what identity/kind need to look at."""

    sections: dict[str, SectionText]
    extra_text: str = ""
    problems: list[Problem] = field(default_factory=list)
    headings_found: int = 0
    groups_found: int = 0
    header_lines: list[str] = field(default_factory=list)
    signature_lines: list[str] = field(default_factory=list)
    body_lines: list[str] = field(default_factory=list)
    table_title_found: bool = False
    closing: dict[str, SectionText] = field(default_factory=dict)
    # Text under a group's heading, by group id: on the heading's line ("2.2. Phát triển hạ
    # tầng: đầu tư 15 …", the group answered as a whole) or before its first section. Kept.
    groups: dict[str, SectionText] = field(default_factory=dict)


@dataclass
class _Label:
    kind: str = ""  # "", roman, path, letter, path_letter
    path: str = ""
    letter: str = ""
    roman: int = 0
    body: str = ""  # the text after the label


def parse_label(text: str, auto_label: str = "") -> _Label:
    """Split a paragraph into its label (typed or automatic) and the text after it."""
    if auto_label and auto_label != "•":
        label = _typed_label(auto_label + " ")
        label.body = text
        if label.kind:
            return label
    label = _typed_label(text)
    return label if label.kind else _Label(body=text)


def _typed_label(text: str) -> _Label:
    m = _LABEL.match(text)
    if not m:
        return _Label(body=text)
    body = text[m.end() :]
    if m.group("path_letter"):
        path, _, letter = m.group("path_letter").rpartition(".")
        return _Label("path_letter", path=path, letter=letter, body=body)
    if m.group("part"):
        part = m.group("part")
        value = _roman(part) if part[0] in "IVX" else _ORDINALS.get(fold_words(part).split()[-1], 0)
        return _Label("roman", roman=value, body=body)
    if m.group("roman"):
        return _Label("roman", roman=_roman(m.group("roman")), body=body)
    if m.group("roman_cell"):
        if not body[:2].isupper():
            return _Label(body=text)
        return _Label("roman", roman=_roman(m.group("roman_cell")), body=body)
    if m.group("bullet"):
        return _Label("bullet", body=body)
    if m.group("path"):
        return _Label("path", path=m.group("path"), body=body)
    letter = m.group("letter")
    if letter.isupper() and letter not in "ABCDĐEG" or letter in "IVX" and not m.group(0).rstrip().endswith(")"):
        return _Label(body=text)  # "V." "X." are Roman numerals or initials, not list letters
    return _Label("letter", letter=letter.lower(), body=body)


def _roman(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for i, ch in enumerate(text):
        v = values[ch]
        total += -v if i + 1 < len(text) and values[text[i + 1]] > v else v
    return total


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    return fold_words(text)


def folded_line(text: str) -> str:
    """`fold_words(text)` through the outline's cache (every line it reads is folded there)."""
    return _folded(text)


@lru_cache(maxsize=4096)
def _word_set(text: str) -> frozenset[str]:
    """The folded words of a text (a heading is weighed against every section)."""
    return frozenset(_folded(text).split())


class _Phrasing(NamedTuple):
    """A target phrasing prepared once: folded, and its words sorted (`token_sort_ratio(a, b)`
    is `ratio` of the two texts' sorted words)."""

    folded: str
    sorted_words: str


def _prepare(targets: Sequence[str]) -> tuple[_Phrasing, ...]:
    """Target phrasings folded once (the outline's headings, kept by its matcher)."""
    return tuple(_Phrasing(b, _sort_words(b)) for b in map(fold_words, targets))


def _sort_words(folded: str) -> str:
    return " ".join(sorted(folded.split()))


@lru_cache(maxsize=4096)
def _sorted_words(text: str) -> str:
    """A text's folded words, sorted (for token_sort_ratio against every phrasing)."""
    return _sort_words(_folded(text))


# Below 1 by far more than a float's rounding: a score cutoff derived by a division never
# drops a score whose product would have reached the current best.
_CUTOFF_MARGIN = 1 - 1e-9


def similarity(text: str, targets: Sequence[str]) -> float:
    """How well a (short) heading text matches any of the target phrasings, 0..100."""
    return _similarity(text, _prepare(targets))


def _similarity(text: str, targets: tuple[_Phrasing, ...], floor: float = 0.0) -> float:
    """`similarity` against prepared phrasings, or `floor` if that is higher.

    The score is the best of several scorers over every phrasing; each scorer is asked only
    for a score above the best so far, starting from `floor` (`score_cutoff`: below it,
    rapidfuzz answers 0 early), which leaves the maximum, and so the result, exactly as
    without the cutoffs. A result above `floor` is the exact score; `floor` itself only says
    the score is not above it.
    """
    a = _folded(text)
    if not a:
        return floor
    a_sorted = _sorted_words(text)
    la = len(a)
    best = floor
    ratio = fuzz.ratio
    # `max` spelt out as comparisons below (the same value: the one kept on a tie is equal).
    for b, b_sorted in targets:
        if not b:
            continue
        lb = len(b)
        score = best
        # Neither ratio can exceed what the lengths allow (the Indel distance is at least their
        # difference): below the best so far, rapidfuzz would only answer 0.
        if 100 * (1 - abs(la - lb) / (la + lb)) + 1e-6 >= best:
            if (found := ratio(a, b, score_cutoff=best)) > score:
                score = found
            if (found := ratio(a_sorted, b_sorted, score_cutoff=score)) > score:  # token_sort_ratio
                score = found
        shortest, longest = (la, lb) if la <= lb else (lb, la)
        if shortest >= 12:
            # Shortened headings ("Về xây dựng kế hoạch") and headings with a tail.
            coverage = shortest / longest
            twice = min(1.0, coverage * 2)
            partial_weight = 0.75 + 0.25 * twice
            if lb < la and lb >= 40:
                # The outline's own heading with the agency's tail after it ("…510/QĐ-BKHCN
                # ngày 17 tháng 3 năm 2021 … nếu có"): a prefix match is a full match. The
                # alignment's score is partial_ratio(b, a) itself.
                aligned = fuzz.partial_ratio_alignment(b, a, score_cutoff=score)
                if aligned is not None:
                    if (found := aligned.score * partial_weight) > score:
                        score = found
                    if aligned.dest_start <= 8 and aligned.score > score:
                        score = aligned.score
            elif (need := score / partial_weight * _CUTOFF_MARGIN) <= 100:
                shorter, longer = (a, b) if la <= lb else (b, a)
                if (found := fuzz.partial_ratio(shorter, longer, score_cutoff=need) * partial_weight) > score:
                    score = found
            set_weight = 0.7 + 0.3 * twice
            if (need := score / set_weight * _CUTOFF_MARGIN) <= 100 and (
                found := fuzz.token_set_ratio(a, b, score_cutoff=need) * set_weight
            ) > score:
                score = found
        best = score
    return best


def _phrasings(section: SectionSpec) -> tuple[str, ...]:
    return (section.heading, *section.synonyms)


# Leaders an agency left after its answer ("Đã ban hành kế hoạch……………;"); "v.v..." stays.
_LONG_LEADER = re.compile(r"(?:[.…_·]\s*){5,}[;:.,]?|…{2,}[;:.,]?|_{3,}")
_LEADER_RUN = re.compile(r"(?:[.…_·]\s*){3,}[;:.,]?")


@lru_cache(maxsize=4096)
def _heading_part(body: str) -> tuple[str, str]:
    """Split "heading: answer" (or "heading…… answer") at the first colon or leader.

    A bare label before the colon ("a):") does not count as a heading.
    """
    idx = body.find(":")
    while idx != -1 and len(body[:idx].strip()) < 6:
        idx = body.find(":", idx + 1)
    leader = _LEADER_RUN.search(body)
    if leader and (idx == -1 or leader.start() < idx):
        return body[: leader.start()], body[leader.end() :]
    if idx == -1:
        return body, ""
    return body[:idx], body[idx + 1 :]


_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-ZĐÀ-ỸẠ-Ỹ0-9])")


def _first_sentence(body: str) -> str:
    """The first sentence of a paragraph when more follows ("Về xây dựng kế hoạch. Sở đã …")."""
    m = _SENTENCE_END.search(body)
    return body[: m.start()] if m and body[m.end() :].strip() else ""


def _split_heading(body: str, section: SectionSpec | None) -> tuple[str, str]:
    """The heading part and the inline answer of a heading paragraph."""
    return _heading_part(body)


class _Matcher:
    def __init__(self, spec: OutlineSpec) -> None:
        self.spec = spec
        self.sections = {s.id: s for s in spec.sections}
        self.groups = {g.id: g for g in spec.groups}
        self.by_group: dict[str, list[str]] = {}
        for s in spec.sections:
            parent, _, _ = s.id.rpartition(".")
            self.by_group.setdefault(parent, []).append(s.id)
        # The outline's own side, prepared once for every document: each section's phrasings
        # folded (and their words sorted), its heading folded.
        self.phrasings = {s.id: _prepare(_phrasings(s)) for s in spec.sections}
        self.heading_folded = {s.id: fold_words(s.heading) for s in spec.sections}
        # How rare each word is among the sections: "thực hiện Đề án 996" is everywhere,
        # "phê duyệt" or "rà soát" point at one section.
        self.tokens = {
            sid: {w for p in phrasings for w in p.folded.split()} for sid, phrasings in self.phrasings.items()
        }
        n = max(len(self.tokens), 1)
        df: dict[str, int] = {}
        for toks in self.tokens.values():
            for t in toks:
                df[t] = df.get(t, 0) + 1
        self.idf = {t: math.log(n / c) for t, c in df.items()}
        self.unknown = math.log(max(len(self.tokens), 2))  # a word no section uses
        # Other targets of `similar` (a group's heading, the table's title, part one's title),
        # prepared on first use: the outline's texts and the module's own, a handful.
        self.targets: dict[tuple[str, ...], tuple[_Phrasing, ...]] = {}
        # Scores of a document's texts (per input: the bench's `--cold` empties these); what
        # was only found not to exceed some value (`_at_most`) is kept apart from exact scores.
        self._best: dict[tuple, tuple[str | None, float]] = {}
        self._scores: dict[tuple[str, str], float] = {}
        self._similar: dict[tuple[str, tuple[str, ...]], float] = {}
        self._at_most: dict[tuple, float] = {}
        # Per text: whether it shares a distinctive word with each section (the gate).
        self._gates: dict[str, dict[str, bool]] = {}

    def forget_input(self) -> None:
        """Empty what was kept about documents' texts (their scores); the outline's side stays."""
        for store in (self._best, self._scores, self._similar, self._at_most, self._gates):
            store.clear()

    def gates(self, text: str) -> dict[str, bool]:
        """Whether the text shares a rare word with each section (not just generic words),
        worked out for every section at once on first use: a text gated at all is gated
        against every section (best_section, near_best)."""
        found = self._gates.get(text)
        if found is None:
            if len(self._gates) > 5_000:
                self._gates.clear()
            found = self._gates[text] = self._shares_rare_word(text)
        return found

    def _shares_rare_word(self, text: str) -> dict[str, bool]:
        words = _word_set(text)
        idf = self.idf
        total = 0.0  # the text's words' total weight, the same for every section: when needed
        out: dict[str, bool] = {}
        for sid, tokens in self.tokens.items():
            shared = words & tokens
            weights = [idf.get(t, 0.0) for t in shared]
            if not weights:
                out[sid] = False
                continue
            if max(weights) >= 2.0 and sum(weights) >= 3.0:
                out[sid] = True
                continue
            # Only common words shared: accept when nearly all of the text is the section's words.
            shared_weight = sum(weights)
            if shared_weight < 6.0:
                out[sid] = False
                continue
            if not total:
                unknown = self.unknown
                total = sum(idf.get(t, unknown) for t in words) or 1.0
            out[sid] = shared_weight / total >= 0.8
        return out

    def best_section(
        self, text: str, within: Sequence[str] | None = None, *, gate: bool = False, needed: float = 0.0
    ) -> tuple[str | None, float]:
        """The first section with the best score (only those sharing a distinctive word with
        the text, with `gate`). `needed`: for a caller that only uses a best scoring at least
        that; below it, (None, 0.0) or another section scoring less may come back."""
        key = (text, tuple(within) if within is not None else None, gate, needed)
        if key not in self._best:
            ids = within if within is not None else list(self.sections)
            gates = self.gates(text) if gate else None
            best_id, best = None, 0.0
            for sid in ids:
                if gates is not None and not gates.get(sid, False):
                    continue
                floor = max(best, needed * _CUTOFF_MARGIN)
                score = self.score(text, sid, floor=floor)  # exact whenever above `floor`
                if score > floor:
                    best_id, best = sid, score
            self._best[key] = (best_id, best)
        return self._best[key]

    def near_best(self, text: str, window: float, needed: float = 0.0) -> list[tuple[float, str]]:
        """(score, id) of every section sharing a distinctive word with the text, in the
        outline's order; exact for the best and every one within `window` points of it when
        the best reaches `needed`. A score that cannot matter (`window` below one seen
        before, or below `needed - window`) may come back as that bound (`floor`), never lower
        than the exact score."""
        out: list[tuple[float, str]] = []
        running = 0.0
        gates = self.gates(text)
        for sid in self.sections:
            if not gates[sid]:
                continue
            floor = max(0.0, running - window, needed - window) * _CUTOFF_MARGIN
            score = self.score(text, sid, floor=floor)
            out.append((score, sid))
            running = max(running, score)
        return out

    def global_score(self, text: str, sid: str) -> float:
        """Whole-string similarity (no substring credit): a heading, not a sentence naming its topic."""
        a, a_sorted = _folded(text), _sorted_words(text)
        # token_sort_ratio(a, b) = ratio of the sorted words.
        return max(max(fuzz.ratio(a, p.folded), fuzz.ratio(a_sorted, p.sorted_words)) for p in self.phrasings[sid])

    def score(self, text: str, sid: str, *, floor: float = 0.0) -> float:
        """Similarity of a heading text to one section (cached: texts are scored repeatedly).

        With a `floor`, a score not above it may come back as the floor itself (`_similarity`):
        for a caller that only compares the score with something at or above the floor."""
        key = (text, sid)
        exact = self._scores.get(key)
        if exact is None:
            if len(self._scores) > 50_000:  # bounded: a long-running worker parses many files
                self._scores.clear()
                self._best.clear()
                self._at_most.clear()
            exact = self._scored(self._scores, key, self.phrasings[sid], floor)
        return exact

    def similar(self, text: str, targets: tuple[str, ...], *, floor: float = 0.0) -> float:
        """`similarity` against a group's heading, the table's title, part one's title (cached
        like `score`: agencies copy these headings from the outline, so they recur file after
        file); `floor` as for `score`."""
        key = (text, targets)
        exact = self._similar.get(key)
        if exact is None:
            if len(self._similar) > 50_000:
                self._similar.clear()
                self._at_most.clear()
            prepared = self.targets.get(targets)
            if prepared is None:
                prepared = self.targets[targets] = _prepare(targets)
            exact = self._scored(self._similar, key, prepared, floor)
        return exact

    def similar_reaches(self, text: str, targets: tuple[str, ...], threshold: float) -> bool:
        """`similar(text, targets) >= threshold`, without working out a score below it."""
        return self.similar(text, targets, floor=threshold * _CUTOFF_MARGIN) >= threshold

    def _scored(self, store: dict, key: tuple, targets: tuple[_Phrasing, ...], floor: float) -> float:
        """The score of `key` if above `floor` (then kept in `store`), else `floor`."""
        if self._at_most.get(key, 101.0) <= floor:
            return floor  # known not to exceed a lower value
        score = _similarity(key[0], targets, floor)
        if score > floor or floor == 0.0:
            store[key] = score
        else:
            self._at_most[key] = floor
        return score

    def letter_candidates(self, group: str, letter: str, *, auto: bool) -> list[str]:
        """Section ids a letter can mean under a group (đ and the Latin 'e' after 'd')."""
        ids = self.by_group.get(group, [])
        out: list[str] = []
        direct = f"{group}.{'dd' if letter == 'đ' else letter}"
        if direct in self.sections and not auto:
            out.append(direct)
        latin = ord(letter) - ord("a") if "a" <= letter <= "z" else -1
        if 0 <= latin < len(ids) and ids[latin] not in out:
            out.append(ids[latin])
        if letter in _VN_LETTERS:
            vn = _VN_LETTERS.index(letter)
            if vn < len(ids) and ids[vn] not in out:
                out.append(ids[vn])
        return out


@per_outline(maxsize=8)
def _matcher(spec: OutlineSpec) -> _Matcher:
    """One matcher per outline: its word weights and score caches serve every document."""
    return _Matcher(spec)


def _lines(doc: Doc, skip_tables: set[int]) -> list[_Line]:
    lines: list[_Line] = []
    t_index = -1
    for block in doc.blocks:
        if isinstance(block, Para):
            style = block.style.lower()
            lines.append(
                _Line(
                    text=block.text,
                    auto_label=block.numbering,
                    bold=block.bold,
                    heading_style=style.startswith(("heading", "title")) or "outline" in style,
                    where=block.where,
                    sheet_header=style == "sheet-header",
                )
            )
        elif isinstance(block, Table):
            t_index += 1
            if t_index in skip_tables:
                lines.append(_Line(text="", where=block.where, table=-1 - t_index))
            else:
                lines.append(_Line(text=_table_text(block), where=block.where, table=t_index, block=block))
    return lines


def _row_cells(row: list[str]) -> list[str]:
    """A row's non-empty cell texts, a merged cell (repeated text) counted once."""
    cells: list[str] = []
    for cell in row:
        c = clean(cell)
        if c and (not cells or cells[-1] != c):
            cells.append(c)
    return cells


def _table_text(table: Table) -> str:
    return "\n".join(" | ".join(cells) for row in table.rows if (cells := _row_cells(row)))


_CLOSING_ANYWHERE = ("kho khan", "vuong mac", "kien nghi", "de xuat")


def _is_closing(body: str) -> bool:
    """A closing part's heading: assessment, difficulties, proposals, next steps."""
    f = _folded(body)
    if len(f.split()) > 14:
        return False
    return any(f.startswith(k) for k in _CLOSING) or (
        len(f.split()) <= 8 and any(k in f for k in _CLOSING_ANYWHERE)
    )


_HEADER_WORDS = ("kinh gui", "v/v", "v v ", "ve viec", "bao cao", "cong hoa", "doc lap", "giay moi")


def _is_header_line(text: str) -> bool:
    """A line of the letter's header block (title, subject, "Kính gửi"), not a sentence."""
    f = _folded(text)
    words = text.split()
    if any(f.startswith(k.replace("/", " ")) for k in _HEADER_WORDS) or text.startswith(("Số:", "SỐ:", "Số ")):
        return len(words) <= 30
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) >= 0.6 * len(letters):
        return True
    return len(words) <= 20 and not text.rstrip().endswith((".", ":", ";", "./."))


_SENTENCE_START = re.compile(
    r"^(?:năm|trong|đã|đơn vị|sở|các|hằng năm|qua|theo|ngày|tổng|kết quả|thực hiện|nhìn chung)\b",
    re.IGNORECASE,
)


def _short_title(label: _Label, body: str) -> bool:
    """ "2. Văn bản quản lý, điều hành": a labelled line of a few words without final
    punctuation, worded like a title, not like an answer."""
    if label.kind not in {"path", "letter", "path_letter", "roman"}:
        return False
    text = body.strip()
    return bool(text) and len(text.split()) <= 14 and not text.endswith((".", ";", ",", "./.")) and not _sentence_like(text)


_DASHED_HEADING_WORDS = 14


def _is_short_dashed(body: str) -> bool:
    """One short sentence ending in a full stop, worded like a title ("Văn bản quản lý, điều hành.")."""
    text = body.strip()
    if not _ends_sentence(text) or ":" in text or ";" in text:
        return False
    inner = text[:-1]
    return (
        0 < len(inner.split()) <= _DASHED_HEADING_WORDS
        and not _SENTENCE_END.search(inner)  # one sentence only
        and not _sentence_like(inner)
    )


def _ends_sentence(text: str) -> bool:
    """Ends with a full stop (not a leader run, not "v.v…")."""
    t = text.rstrip()
    return t.endswith(".") and not t.endswith((". .", "..", "…"))


def _sentence_like(head: str) -> bool:
    """Worded like an answer (a year, a count, "Đã …", "Năm 2023, …"), not like a heading."""
    opening = " ".join(_OUTLINE_NUMBERS.sub("", head).split()[:8])
    return bool(_DIGIT.search(opening)) or bool(_SENTENCE_START.match(head.strip()))


_OUTLINE_NUMBERS = re.compile(r"996|510|2018|2025")
_DIGIT = re.compile(r"\d")


_SIGNER_TITLE = re.compile(
    r"\b(?:giam doc|chu tich|truong ban|truong phong|chanh van phong|chanh thanh tra|bi thu|"
    r"thu truong|chi huy truong|hieu truong|tong bien tap|nguoi ky|ky ten|da ky)\b|^(?:kt|tm|tl|tuq|q)\b"
)


def _looks_like_signature(text: str) -> bool:
    t = clean(text)
    if not t or len(t) > 60:
        return False
    if _SIGNATURE_START.match(t) or t.lower().startswith(("(đã ký", "(ký", "đã ký")):
        return True
    letters = [c for c in t if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(t.split()) <= 8:
        return True
    words = t.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and not any(
        ch.isdigit() or ch in ",.;:" for ch in t
    )


def _signer_title_line(line: _Line) -> bool:
    """ "KT. GIÁM ĐỐC", "HIỆU TRƯỞNG", "TM. BAN THƯỜNG VỤ": a short line in capitals naming a
    signer's office (a heading in capitals names no office)."""
    t = clean(line.text)
    letters = [c for c in t if c.isalpha()]
    if line.table is not None or not letters or len(t.split()) > 8 or any(ch.isdigit() for ch in t):
        return False
    return all(c.isupper() for c in letters) and bool(_SIGNER_TITLE.search(_folded(t)))


def _signer_name_line(text: str) -> bool:
    """ "Đoàn Văn Minh", "NGUYỄN THỊ HOA": two to five capitalised words, no digits nor punctuation."""
    t = clean(text)
    words = t.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() and w.isalpha() for w in words) and not _SIGNER_TITLE.search(
        _folded(t)
    )


_CLOSING_KEYS = (
    ("kien_nghi", ("kien nghi", "de xuat", "de nghi")),
    ("kho_khan", ("kho khan", "vuong mac", "ton tai", "han che", "nguyen nhan", "nhuoc diem", "khuyet diem",
                  "mat chua duoc", "bat cap")),
    ("phuong_huong", ("phuong huong", "nhiem vu giai phap", "giai phap", "thoi gian toi", "ke hoach tiep theo",
                      "dinh huong", "nhiem vu trong tam")),
    ("danh_gia", ("danh gia", "bai hoc kinh nghiem", "uu diem", "ket qua dat duoc", "mat duoc", "nhan xet",
                  "ket qua noi bat")),
)
# A closing sub-heading names its part in its first words ("Kết quả đạt được", "Những tồn tại,
# hạn chế", "Một số kiến nghị"); "Tăng cường công tác kiểm tra, đánh giá" is an outline heading.
_CLOSING_HEAD_WORDS, _CLOSING_HEAD_START = 12, 3


def _closing_key(head: str) -> str:
    """Which closing part a heading opens (the first named, for "Khó khăn và kiến nghị")."""
    f = f" {_folded(head)} "
    if len(f.split()) > 16:
        return ""
    found = [(pos, key) for key, words in _CLOSING_KEYS for w in words if (pos := f.find(f" {w} ")) >= 0]
    return min(found)[1] if found else ""


def _closing_head(head: str) -> str:
    """The closing part a short heading opens when it starts with that part's words, else ""."""
    words = _folded(head).split()
    if not words or len(words) > _CLOSING_HEAD_WORDS:
        return ""
    f = f" {' '.join(words)} "
    found = [
        (pos, key)
        for key, phrases in _CLOSING_KEYS
        for w in phrases
        if (pos := f.find(f" {w} ")) >= 0 and len(f[:pos].split()) <= _CLOSING_HEAD_START
    ]
    return min(found)[1] if found else ""


def _reads_as_heading(line: _Line, body: str, head: str) -> bool:
    """A sub-heading, run in ("Kết quả đạt được: …") or on its own line, not a sentence."""
    if line.bold or line.heading_style:
        return True
    if head != body:
        return len(head.split()) <= _CLOSING_HEAD_WORDS
    return len(body.split()) <= _CLOSING_HEAD_WORDS and not body.rstrip().endswith((".", ";", "./."))


_SIGN_OFF = (
    "tren day la bao cao", "tren day la ket qua", "tren day la tinh hinh", "tren day la noi dung",
    "kinh bao cao", "kinh de nghi", "kinh mong", "rat mong", "tran trong bao cao", "tran trong cam on",
    "xin tran trong cam on", "tran trong",
)
_SIGN_OFF_STARTS = _SIGN_OFF[:-1]
_OPENING = re.compile(
    r"^(?:thuc hien|can cu|theo de nghi|theo yeu cau|phuc dap|tiep nhan)\b.{0,300}"
    r"(?:bao cao (?:nhu sau|ket qua|tinh hinh)|bao cao\W*$|nhu sau\W*$)"
)


def _is_sign_off(text: str) -> bool:
    """The letter's closing sentence ("Trên đây là báo cáo của …", "Trân trọng./.")."""
    f = _folded(text)
    if not f or len(f.split()) > 60:
        return False
    if f in ("tran trong", "tran trong cam on"):
        return True
    return f.startswith(_SIGN_OFF_STARTS)


def _is_boilerplate(text: str) -> bool:
    """Text that is never an answer: the opening sentence, the sign-off, a sheet's header row."""
    f = _folded(text)
    return (
        bool(_OPENING.match(f)) or _is_sign_off(text) or f in _SHEET_HEADER_WORDS or bool(_REST_OF_OUTLINE.match(f))
        or _attachment_note(text, f)
    )


# "(Số liệu định lượng tại Phụ lục kèm theo)", "(Số liệu chi tiết tại Biểu 01 đính kèm)": a line
# in brackets sending the reader to the figures' table in an enclosure, about the document, not
# a section's answer. "(Có danh sách kèm theo.)" under a section is that section's own enclosure.
_ENCLOSURE = re.compile(r"\b(?:phu luc|kem theo|dinh kem|gui kem)\b")
_FIGURES = re.compile(r"\b(?:so lieu|dinh luong|bieu)\b")


def _attachment_note(text: str, folded: str) -> bool:
    t = clean(text)
    return (
        t.startswith("(") and t.endswith(")") and len(t) <= 160 and t.count("(") == 1
        and not folded.startswith("chu thich") and bool(_ENCLOSURE.search(folded)) and bool(_FIGURES.search(folded))
    )


# "Các nội dung còn lại của Đề cương không thuộc chức năng …": about the rest of the outline,
# not the answer of the section it follows.
_REST_OF_OUTLINE = re.compile(r"^(?:cac|nhung) (?:noi dung|muc|phan|de muc)(?: \w+)? (?:con lai|khac)\b.{0,40}\bde cuong\b")


_SHEET_HEADER_WORDS = {"muc", "noi dung", "muc noi dung", "stt noi dung", "tt noi dung", "stt", "tt",
                       "noi dung bao cao", "ket qua thuc hien", "ghi chu", "noi dung ket qua thuc hien"}
# A none answer in the agency's words, with its subject: "Đơn vị không được giao nhiệm vụ này.",
# "Không thuộc chức năng, nhiệm vụ.", "Chưa triển khai."
_NONE_ANSWER_WORDS = 20
_NONE_ANSWER_START = 4
_NONE_ANSWER = re.compile(
    r"^(?:khong co|khong phat sinh|chua phat sinh|khong|chua co|khong thuc hien|khong co noi dung"
    r"|khong co hoat dong|khong co ket qua|khong co so lieu)(?: (?:noi dung|hoat dong|ket qua|gi|so lieu|phat sinh))?$"
)


_DASH_NONE = {"-", "–", "—", "--", "- -"}
_SENTENCE_BREAK = re.compile(r"[.;!?](?=\s+\S)")


def is_explicit_none(text: str) -> bool:
    """A section answered with "Không có", "Không phát sinh", "Chưa phát sinh" (and no more), or
    a short answer without a figure that says the agency has nothing under it ("Đơn vị không
    được giao nhiệm vụ này.", "Không thuộc chức năng, nhiệm vụ.", "Chưa triển khai.")."""
    folded = _folded(text).strip(" .;:-/")
    if _NONE_ANSWER.match(folded):
        return True
    words = folded.split()
    if not words or len(words) > _NONE_ANSWER_WORDS or any(c.isdigit() for c in folded):
        return False
    # One sentence: "Không phát sinh. Đơn vị đã phối hợp …" is an answer with content.
    if len(_SENTENCE_BREAK.findall(text.strip())) > 0:
        return False
    padded = f" {folded} "
    for phrase in (*NIL_WORDING, *NIL_WORDING_SHORT):
        pos = padded.find(f" {phrase} ")
        if pos >= 0 and len(padded[:pos].split()) <= _NONE_ANSWER_START:
            return True
    return False


def read_outline(doc: Doc, spec: OutlineSpec, *, table_indices: set[int] | None = None) -> OutlineReading:
    """Find every section of `spec` in `doc` (tables in `table_indices` are the quantitative table)."""
    return _Walker(doc, spec, table_indices or set()).walk()


# The table's title cut to a word or two ("3. Định lượng", "II. SỐ LIỆU ĐỊNH LƯỢNG").
_SHORT_TABLE_TITLES = {"dinh luong", "so lieu dinh luong", "bang dinh luong", "phan dinh luong", "ket qua dinh luong"}
# Where a heading's tail ends on the line below it: its leaders or its colon.
_TAIL_END = re.compile(r"\s*(?:(?:[.…_·]\s*){3,}[;:.,]?|[;:])\s*")
# Near-ties of heading scores (points): for a heading of a few words, and for a longer one.
_NEAR, _NEAR_SHORT, _SHORT_HEADING_WORDS = 3, 8, 10
# A section placed by the outline's order between two close candidates: its confidence.
_CONTESTED_FACTOR = 0.8
# A heading joining two sections: cut at "và", "+", "&", ";" or "cùng"; each half must reach
# this score for its own section and beat the group's other sections by the margin.
_JOINT_CUT = re.compile(r"\s+(?:và|cùng|\+|&)\s+|\s*;\s*|\s*\+\s*")
_JOINT_SCORE, _JOINT_MARGIN = 75.0, 10.0
# A section covered by its group's answer: a person checks it, the confidence says so.
_GROUP_CONFIDENCE = 0.75


class _Walker:
    def __init__(self, doc: Doc, spec: OutlineSpec, table_indices: set[int]) -> None:
        self.doc = doc
        self.spec = spec
        self.m = _matcher(spec)
        self.lines = _lines(doc, table_indices)
        self.texts: dict[str, list[str]] = {s.id: [] for s in spec.sections}
        self.wheres: dict[str, str] = {}
        # Where a section's answer starts (its heading's place when the answer is inline, the
        # next paragraph when the heading stands alone); `wheres` (the heading) otherwise.
        self.answer_wheres: dict[str, str] = {}
        self.seen_heading: set[str] = set()
        self.extra: list[str] = []
        self.header: list[str] = []
        self.signature: list[str] = []
        self.body: list[str] = []
        self.target = "header"  # header | extra | signature | a section id | table
        self.group = ""
        # The top-level group opened by a Roman numeral ("II. KẾT QUẢ …"): under it, "1.", "2."
        # are its subgroups (2.1, 2.2) or its sections (1.a, 1.b), one level down.
        self.roman_group = ""
        self.groups_found = 0
        self.seen_groups: set[str] = set()
        # Groups answered "Không có" on their own heading line: each of their sections is none.
        self.group_none: dict[str, tuple[str, str]] = {}
        self.group_text: dict[str, list[str]] = {}
        self.group_where: dict[str, str] = {}
        self.current_where = ""  # the line being read (for text placed from `_add`)
        self.index = 0  # its index in `lines`
        self.joint = ""  # the key ("2.5.a+2.5.b") of the joint answer being read (target "joint")
        self.last_section: str | None = None
        self.table_title = False
        self.started = False
        self.closing: dict[str, list[str]] = {}
        self.closing_where: dict[str, str] = {}
        self.closing_key = ""
        # Sections (and closing parts) whose text had boilerplate taken out.
        self.cleaned: set[str] = set()
        # The group whose heading was printed last (an unnumbered heading's group otherwise
        # comes from the section read before it).
        self.printed_group = ""
        # (heading, section) → (rival section, score, rival's score) of a heading the text
        # alone did not place; the sections started from one (rival, scores, heading, where).
        self.rivals: dict[tuple[str, str], tuple[float, tuple[tuple[str, float], ...]]] = {}
        self.contested: dict[str, tuple[float, tuple[tuple[str, float], ...], str, str]] = {}

    def walk(self) -> OutlineReading:
        closing = self._closing_block()
        for i, line in enumerate(self.lines):
            self.index = i
            self.current_where = line.where
            if i in closing:
                self._signature(line)
                continue
            if i - 1 in closing:
                # A new part after a signature (the report after its cover letter, an
                # appendix): nothing carries over from the section above.
                self.target = "header"
            if line.table is not None:
                self._table(line, i)
            else:
                self.body.append(line.text)
                self._paragraph(line)
            self._note_answer(line)
        sections = {
            sid: self._section(parts, self.answer_wheres.get(sid) or self.wheres.get(sid, ""), sid)
            for sid, parts in self.texts.items()
        }
        for gid, (tail, where) in self.group_none.items():
            for sid in self.m.by_group.get(gid, []):
                if sid not in sections or sections[sid].empty:
                    sections[sid] = SectionText(text=clean(tail), empty=False, where=where, explicit_none=True, confidence=0.8)
        closing_texts = {key: self._section(parts, self.closing_where.get(key, ""), key) for key, parts in self.closing.items()}
        group_texts = {gid: self._section(parts, self.group_where[gid], gid) for gid, parts in self.group_text.items()}
        groups = {gid: g for gid, g in group_texts.items() if not g.empty}
        answered = [sid for sid, t in sections.items() if t.answered]
        for sid, key in group_coverage(groups, answered, list(self.m.sections)).items():
            # The group's answer stands for each section it covers, marked as the group's.
            g = groups[key]
            sections[sid] = SectionText(text=g.text, empty=False, where=g.where, explicit_none=g.explicit_none,
                                        confidence=min(g.confidence, _GROUP_CONFIDENCE), group=key)
        problems = []
        for sid, (score, rivals, head, where) in self.contested.items():
            t = sections.get(sid)
            if t is None or t.group:
                continue
            sections[sid] = replace(t, confidence=round(t.confidence * _CONTESTED_FACTOR, 3))
            problems.append(Problem(
                ProblemCode.SECTION_AMBIGUOUS,
                f"Đề mục «{head[:80]}» được xếp vào mục {display_id(sid)} (độ khớp {score:.0f}) nhưng cũng gần với"
                f" mục {', '.join(f'{display_id(r)} ({v:.0f})' for r, v in rivals)}: nội dung chữ không đủ để phân biệt,"
                " đề nghị cán bộ xem lại mục nào đúng.",
                where,
                sections=(sid, *(r for r, _ in rivals)),
            ))
        return OutlineReading(
            problems=problems,
            groups=groups,
            sections=sections,
            closing={k: v for k, v in closing_texts.items() if v.answered},
            extra_text=clean(" ".join(self.extra)),
            headings_found=len(self.seen_heading),
            groups_found=self.groups_found,
            header_lines=self.header,
            signature_lines=self.signature,
            body_lines=self.body,
            table_title_found=self.table_title,
        )

    # -- zones --------------------------------------------------------------------------------
    def _closing_block(self) -> set[int]:
        """Lines of the "Nơi nhận" list and the signature.

        A block runs from "Nơi nhận" until something starts a new part: a cover letter and its
        report in one file, or an appendix after the signature, are read on.
        """
        n = len(self.lines)
        closing: set[int] = set()
        i = 0
        while i < n:
            line = self.lines[i]
            folded = _folded(line.text)
            starts = folded.startswith("noi nhan") if line.table is None else (
                line.table >= 0 and "noi nhan" in folded and i > n // 3
            )
            if not starts:
                i += 1
                continue
            closing.add(i)
            i += 1
            while i < n and not self._reopens(self.lines[i]):
                closing.add(i)
                i += 1
        closing |= self._signer_blocks(closing)
        if closing:
            return closing
        return set(range(self._signature_start(), n))

    def _signer_blocks(self, taken: set[int]) -> set[int]:
        """Signature blocks inside the document (Nghị định 30/2020/NĐ-CP: the signer's title in
        capitals — "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "HIỆU TRƯỞNG" —, perhaps "(Đã ký)" or a seal,
        then the signer's name) followed by the end of the text, a table or a new part (an
        appendix after the signature): the letter ends at the title, the lines up to the new
        part are the signature, never the last section's text."""
        n = len(self.lines)
        out: set[int] = set()
        for i in range(n // 3, n):
            if i in taken or i in out or not _signer_title_line(self.lines[i]):
                continue
            j = i + 1
            while j < n and j - i <= 4 and self.lines[j].table is None and not _signer_name_line(self.lines[j].text):
                if not _looks_like_signature(self.lines[j].text):
                    break
                j += 1
            if j >= n or j - i > 4 or self.lines[j].table is not None or not _signer_name_line(self.lines[j].text):
                continue
            k = j + 1
            if k < n and not (self.lines[k].table is not None or self._reopens(self.lines[k])):
                continue
            out.update(range(i, k))
        return out

    def _reopens(self, line: _Line) -> bool:
        """A line after a signature that starts a new part (a title, an appendix, a heading)."""
        if line.table is not None:
            return line.table < 0 or len(line.text) > 300
        folded = _folded(line.text)
        if folded.startswith(("bao cao", "phu luc", "de cuong", "danh sach", "bieu mau")):
            return True
        label = parse_label(line.text, line.auto_label)
        if label.kind not in {"roman", "path", "letter", "path_letter"}:
            return False
        return len(label.body.split()) >= 4 or bool(_closing_head(_heading_part(label.body)[0]))

    def _signature_start(self) -> int:
        """Index of the first line of a trailing signature without a "Nơi nhận" list."""
        n = len(self.lines)
        end = n
        while end > 0:
            line = self.lines[end - 1]
            if line.table is None and _looks_like_signature(line.text):
                end -= 1
                continue
            break
        # The block starts at the signer's title ("KT. GIÁM ĐỐC"); capitals above it
        # ("KHÔNG CÓ") are an answer.
        titles = [i for i in range(end, n) if _SIGNER_TITLE.search(_folded(self.lines[i].text))]
        return titles[0] if titles and titles[0] > n // 2 else n

    def _note_answer(self, line: _Line) -> None:
        """The line that gave the current section its first words of answer."""
        sid = self.target
        if sid in self.texts and sid not in self.answer_wheres and any(p.strip() for p in self.texts[sid]):
            self.answer_wheres[sid] = line.where

    def _section(self, parts: list[str], where: str, key: str) -> SectionText:
        """The text of a section or closing part, with how far it can be trusted."""
        text = clean(" ".join(p for p in parts if p))
        # A lone dash under a heading is the agency's "none", as "-" in a table cell is.
        dash = text.strip() in _DASH_NONE
        empty = not dash and _is_empty(text)
        none = dash or (not empty and is_explicit_none(text))
        if not where and empty:
            confidence = 0.0
        else:
            confidence = 0.95 if where else 0.7
            if key in self.cleaned:
                confidence *= 0.9
        return SectionText(
            text="" if empty else text, empty=empty, where=where, explicit_none=none, confidence=confidence
        )

    def _signature(self, line: _Line) -> None:
        if line.text:
            self.signature.append(line.text)

    def _table(self, line: _Line, index: int) -> None:
        if line.table is not None and line.table < 0:
            # The quantitative table: not section text. Its title already moved us out of
            # the sections; without a title, what follows stays where it was.
            if self.target in {"header", "outline"}:
                self.target = "extra"
            self.started = True
            return
        if line.block is not None and self._outline_table(line.block, line.where):
            return
        if self.target == "header" and not self.started:
            self.header.append(line.text)
            return
        self.body.append(line.text)
        self._add(line.text)

    def _outline_table(self, table: Table, where: str) -> bool:
        """The whole outline laid out as a table ("Nội dung" | "Kết quả thực hiện")."""
        rows = [_row_cells(row) for row in table.rows]
        plan = [self._row_section(cells) for cells in rows]
        if sum(1 for p in plan if p) < 3:
            return False
        self.body.append(_table_text(table))
        for cells, found in zip(rows, plan, strict=True):
            if found:
                k, sid = found
                self._start_section(sid, _Line(text=cells[k], where=where), "")
                answer = strip_leaders(" ".join(cells[k + 1 :]))
                if answer:
                    self.texts[sid].append(answer)
            elif cells and self.target in self.texts:
                label = parse_label(cells[0])
                if label.kind == "path" and label.path in self.m.groups:
                    self.group, self.target = label.path, "outline"
                elif not (label.kind == "roman" or len(cells) == 1 and len(cells[0]) < 60):
                    self.texts[self.target].append(" ".join(cells[1:] if len(cells) > 1 else cells))
        return True

    def _row_section(self, cells: list[str]) -> tuple[int, str] | None:
        for k, cell in enumerate(cells[:3]):
            label = parse_label(cell)
            head, _ = _heading_part(label.body.strip())
            if len(head) < 12:
                continue
            best, score = self.m.best_section(head, gate=True, needed=75)
            if best and score >= 75:
                return k, best
        return None

    def _open_closing(self, line: _Line, body: str) -> None:
        """A closing part's heading (đánh giá, khó khăn, kiến nghị…): its own typed part."""
        self.started = True
        self.extra.append(line.text)
        key = _closing_key(_heading_part(body)[0]) or _closing_key(body)
        if not key:
            self.target = "extra"
            return
        self.target = "closing"
        self.closing_key = key
        self.closing.setdefault(key, [])
        self.closing_where.setdefault(key, line.where)
        inline = strip_leaders(_heading_part(body)[1].strip())
        if inline:
            self.closing[key].append(inline)

    def _add(self, text: str) -> None:
        if not text:
            return
        if self.target == "closing":
            self.extra.append(text)
            if _is_boilerplate(text):
                self.cleaned.add(self.closing_key)
            else:
                self.closing[self.closing_key].append(text)
            return
        if self.target in self.texts and _is_boilerplate(text):
            self.cleaned.add(self.target)
            self.extra.append(text)
            return
        if self.target in self.texts:
            self.texts[self.target].append(text)
        elif self.target == "joint":
            self.group_text.setdefault(self.joint, []).append(text)
            self.group_where.setdefault(self.joint, self.current_where)
        elif self.target == "extra":
            self.extra.append(text)
        elif self.target == "header":
            (self.header if _is_header_line(text) else self.extra).append(text)
        else:  # under a group heading, before any section: fits no section, the group's text
            self.extra.append(text)
            if self.target == "outline" and self.group in self.m.groups and not _is_boilerplate(text):
                self.group_text.setdefault(self.group, []).append(text)
                self.group_where.setdefault(self.group, self.current_where)

    def _without_heading_tail(self, text: str, sid: str) -> str:
        """ "hiện Đề án 996……; Đơn vị đã …" under "a) Về xây dựng, … triển:": a heading broken
        over two lines, its first line retyped; the rest of the outline's heading (up to its
        leaders or colon) is not the answer."""
        if not text[:1].islower() or self.texts[sid]:
            return text
        own = f" {self.m.heading_folded[sid]}"
        for cut in _TAIL_END.finditer(text):
            head, rest = text[: cut.start()], text[cut.end() :]
            words = _folded(head).split()
            if len(words) > 30:
                break
            if rest.strip() and words and own.endswith(f" {' '.join(words)}"):
                return rest.strip()
        return text

    def _paragraph(self, line: _Line) -> None:
        if _is_sign_off(line.text):
            # "Trên đây là báo cáo …", "Kính đề nghị … xem xét": the letter ends here.
            self.signature.append(line.text)
            if self.target in self.texts or self.target == "closing":
                self.target = "extra"
            return
        if line.sheet_header:
            return
        if self._table_caption(line):
            # "Số liệu năm 2023" in bold over the table: the table's caption ends the section
            # above; kept with the text outside the sections.
            self.target = "extra"
            self.extra.append(line.text)
            return
        label = parse_label(line.text, line.auto_label)
        body = label.body.strip()
        if self._dashed_heading(label, body):
            # "- Văn bản quản lý, điều hành." alone, its answer on the next line: a heading
            # ended with a full stop, read as "- Văn bản quản lý, điều hành:".
            body = body.rstrip()[:-1].rstrip() + ":"
        head, _ = _heading_part(body)
        heading_like = (
            line.bold
            or line.heading_style
            or bool(line.auto_label)
            or len(head) <= 600
            and (head != body or body.rstrip().endswith(":"))
            or _short_title(label, body)
        )
        if self.target == "closing" and self._closing_line(line, label, body):
            return
        if self._closing_heading(line, label, body):
            return
        if label.kind in {"letter", "path_letter"} and self._letter(line, label, body, heading_like=heading_like):
            return
        if label.kind == "path" and self._path(line, label, body, heading_like=heading_like):
            return
        if label.kind == "roman" and self._roman(line, body):
            return
        if self._unlabelled(line, label, body, head, heading_like=heading_like):
            return
        if label.kind == "path" and (line.bold or line.heading_style) and _short_title(label, body):
            # "3. Số liệu khác" in bold: a heading of the agency's own that fits no section;
            # it ends the section above, it is not part of its answer.
            self.target = "extra"
            self.extra.append(line.text)
            return
        text = line.text
        if self.target in self.texts:
            text = self._without_heading_tail(text, self.target)
        self._add(_LONG_LEADER.sub(" ", text).strip())

    def _table_caption(self, line: _Line) -> bool:
        """A short line set apart (bold, a heading style, capitals) with no final punctuation,
        right above the quantitative table: its caption, not the end of a section's answer."""
        nxt = self.lines[self.index + 1] if self.index + 1 < len(self.lines) else None
        if nxt is None or nxt.table is None or nxt.table >= 0:
            return False
        text = clean(line.text)
        letters = [c for c in text if c.isalpha()]
        capitals = bool(letters) and all(c.isupper() for c in letters)
        return (
            bool(text) and len(text.split()) <= 14 and not text.endswith((".", ";", ",", ":"))
            and (line.bold or line.heading_style or capitals) and not parse_label(text, line.auto_label).kind
            # The outline's own table title is read as such (it marks the table found).
            and not self._is_table_title(_heading_part(text)[0])
        )

    def _dashed_heading(self, label: _Label, body: str) -> bool:
        """A short item title after a dash or bullet, closed by a full stop, on its own line,
        with the answer on the next line ("- Lồng ghép nhiệm vụ." then "Lồng ghép nhiệm vụ của
        Đề án vào …"): one short sentence not worded like an answer, followed by a longer line
        that is not itself such a title."""
        if label.kind != "bullet" or not _is_short_dashed(body):
            return False
        nxt = self.lines[self.index + 1] if self.index + 1 < len(self.lines) else None
        if nxt is None or nxt.table is not None or not nxt.text.strip():
            return False
        following = parse_label(nxt.text, nxt.auto_label)
        if following.kind not in ("", "bullet") or nxt.bold or nxt.heading_style:
            return False  # the next line is a heading: this one is the answer above it
        if following.kind == "bullet" and _is_short_dashed(following.body.strip()):
            return False
        return len(nxt.text.split()) > len(body.split())

    def _closing_line(self, line: _Line, label: _Label, body: str) -> bool:
        """A line inside a closing part: a sub-heading ("2. Tồn tại, hạn chế: …", "- Kiến nghị:")
        switches the part; any other line is its text, unless it is the table's title or the
        outline's own heading (the agency went back to the sections). Roman numerals: `_roman`."""
        if label.kind == "roman":
            return False
        head, inline = _heading_part(body)
        key = _closing_head(head)
        if key and _reads_as_heading(line, body, head):
            self._switch_closing(key, line, body, inline)
            return True
        if self._is_table_title(head) or self._outline_heading(head, 85, 88):
            return False
        self._add(_LONG_LEADER.sub(" ", line.text).strip())
        return True

    def _closing_heading(self, line: _Line, label: _Label, body: str) -> bool:
        """ "4. Khó khăn, vướng mắc", "B. ĐÁNH GIÁ CHUNG", "Kết quả đạt được: …" after the table: a
        closing part opened by a numbered or lettered heading, or by any heading outside the
        sections. Inside a section's answer a run-in "Khó khăn: …" stays the section's."""
        if label.kind not in {"path", "letter", "", "bullet"}:
            return False
        head, _ = _heading_part(body)
        if not _closing_head(head) or not _reads_as_heading(line, body, head) or self._outline_heading(head, 80, 70):
            return False
        looks = line.bold or line.heading_style or bool(line.auto_label)
        capital_letter = label.kind == "letter" and line.text.lstrip()[:1].isupper()
        alone = head == body and label.kind in {"path", "letter"}  # "4. Khó khăn, vướng mắc" on its own line
        if not (looks or capital_letter or alone or self.target == "extra" and self.started):
            return False
        self._open_closing(line, body)
        return True

    def _outline_heading(self, head: str, threshold: float, whole: float) -> bool:
        """The outline's own heading (a section's or a group's, `whole`: how close as a whole
        string; "Về công tác tuyên truyền" is a shortened one), not a closing sub-heading."""
        best, score = self.m.best_section(head, gate=True)
        if best and score >= threshold and self.m.global_score(head, best) >= whole:
            return True
        return self._group_by_text(head, max(threshold, whole)) is not None

    def _switch_closing(self, key: str, line: _Line, body: str, inline: str) -> None:
        """A closing part's sub-heading: its text goes to that part. Under a part's own heading
        a sub-heading of the same part keeps its words ("Bài học kinh nghiệm: …" under "Đánh giá")."""
        self.extra.append(line.text)
        same = key == self.closing_key and any(self.closing.get(key, []))
        self.closing_key = key
        self.closing.setdefault(key, [])
        self.closing_where.setdefault(key, line.where)
        text = strip_leaders((body if same else inline).strip())
        if text:
            self.closing[key].append(text)

    def _is_table_title(self, head: str) -> bool:
        title = self.spec.table_title or "Định lượng kết quả lũy kế đạt được"
        if _folded(head).strip() in _SHORT_TABLE_TITLES:
            return True
        return self.m.similar_reaches(head, (title, "Định lượng kết quả", "Kết quả định lượng"), 78)

    def _letter(self, line: _Line, label: _Label, body: str, *, heading_like: bool) -> bool:
        if label.kind == "path_letter" and self._by_full_label(line, label, body):
            return True
        group = label.path if label.kind == "path_letter" else self.group
        auto = bool(line.auto_label) and label.kind == "letter"
        cands = self.m.letter_candidates(group, label.letter, auto=auto) if group else []
        head, _ = _heading_part(body)
        first = _first_sentence(body)
        scored = [(self._head_or_first(head, first, c), c) for c in cands]
        # Only look across the whole outline when the label's own candidates fit badly.
        if not scored or max(scored)[0] < 80:
            best_any, best_any_score = self.m.best_section(head, gate=True, needed=70)
        else:
            best_any, best_any_score = None, 0.0
        if scored:
            score, cand = max(scored)
            if best_any and best_any != cand and best_any_score >= 70 and best_any_score >= score + 25 and heading_like:
                self._start_section(best_any, line, body)
                return True
            looks = line.bold or line.heading_style or bool(line.auto_label)
            fresh = cand not in self.seen_heading and cand != self.target
            if (
                (score >= 60 and (fresh or score >= 75))
                or (looks and fresh and score >= 30)
                or (heading_like and fresh and score >= 45)
            ):
                self._start_section(cand, line, body)
                return True
        if best_any and best_any_score >= 80 and (
            heading_like or (best_any not in self.seen_heading and self._verbatim(head, best_any))
        ):
            # A labelled line that is the outline's heading word for word is that heading,
            # whatever group the agency put it under.
            self._start_section(best_any, line, body)
            return True
        return self._letter_by_order(line, body, cands)

    def _head_or_first(self, head: str, first: str, sid: str) -> float:
        """The better of the heading part's and the first sentence's score for a section."""
        score = self.m.score(head, sid)
        return max(score, self.m.score(first, sid, floor=score)) if first else score

    def _verbatim(self, head: str, sid: str) -> bool:
        """The outline's heading word for word, possibly with the agency's tail ("… ngày …")."""
        if self.m.global_score(head, sid) >= 90:
            return True
        own = self.m.heading_folded[sid]
        return len(own) >= 40 and _folded(head).startswith(own[:40]) and self.m.score(head, sid) >= 95

    def _by_full_label(self, line: _Line, label: _Label, body: str) -> bool:
        """ "2.1.a Sở đã …": a full outline number names its section even when no heading
        follows it (a sheet's "Mục | Nội dung" rows, answers typed after the number)."""
        sid = f"{label.path}.{'dd' if label.letter == 'đ' else label.letter}"
        if sid not in self.m.sections or sid in self.seen_heading or sid == self.target:
            return False
        head, _ = _heading_part(body)
        # A heading after the number: the usual path decides. A sentence with its full stop
        # ("1.c Lồng ghép trong Chương trình … của Hội.") is the answer, however close its words.
        if self.m.score(head, sid) >= 70 and not _sentence_like(head) and not (head == body and _ends_sentence(body)):
            return False
        other, other_score = self.m.best_section(head, gate=True, needed=80)
        if other and other != sid and other_score >= 80:
            return False
        self._start_section(sid, line, "")
        answer = strip_leaders(body)
        if answer:
            self.texts[sid].append(answer)
        return True

    def _letter_by_order(self, line: _Line, body: str, cands: list[str]) -> bool:
        """The label alone decides when nothing contradicts it: "a) ……" left unfilled, or a
        shortened heading before a colon ("a) Đầu tư: …"), for the next section in order."""
        if len(cands) != 1:
            return False
        cand = cands[0]
        parent = cand.rpartition(".")[0]
        group_opened = self.group == parent and not any(
            sid.rpartition(".")[0] == parent for sid in self.seen_heading
        )
        if cand in self.seen_heading or cand == self.target:
            return False
        if not (self._comes_next(cand) or group_opened):
            return False
        head, answer = _heading_part(body)
        unfilled = _is_empty(body)
        short_heading = bool(answer.strip()) and len(head.split()) <= 8 and head != body
        if unfilled or short_heading:
            self._start_section(cand, line, body)
            return True
        return False

    def _path(self, line: _Line, label: _Label, body: str, *, heading_like: bool) -> bool:
        head, _ = _heading_part(body)
        if self._is_table_title(head):
            self.table_title = True
            self.started = True
            self.target = "extra"
            return True
        path = label.path
        if self._shifted(line, path, head):
            return True
        if path in self.m.groups:
            gscore = self.m.similar(head, (self.m.groups[path].heading,))
            # "1. Kế hoạch triển khai Đề án" under "I. KẾT QUẢ THỰC HIỆN": a flat list of the
            # sections numbered 1, 2, 3 …; the section's own heading outweighs the group's.
            # Exact (no `needed`): `_group_answered` uses the best section whatever its score.
            best, score = self.m.best_section(head, gate=True)
            if self._group_answered(path, line, body, best):
                return True
            if best and score >= 90 and score >= gscore + 20 and heading_like:
                self._start_section(best, line, body)
                return True
            expected = self._next_group_ok(path)
            looks = line.bold or line.heading_style or bool(line.auto_label)
            if path in self.seen_groups:
                accept = gscore >= 70
            else:
                accept = gscore >= 55 or (
                    looks and (gscore >= 40 or (expected and len(head) < 120))
                )
            if accept:
                self._start_group(path, line, body)
                return True
        # Sections numbered like groups: "1.2." for 1.b, "2.2.5." for 2.2.đ.
        parent, _, last = path.rpartition(".")
        ids = self.m.by_group.get(parent, [])
        if last.isdigit() and 0 < int(last) <= len(ids):
            cand = ids[int(last) - 1]
            score = self.m.score(head, cand, floor=30 * _CUTOFF_MARGIN)  # only compared with 30 and up
            looks = line.bold or line.heading_style or bool(line.auto_label)
            fresh = cand not in self.seen_heading and cand != self.target
            if fresh and (score >= 60 or (looks and score >= 30) or (heading_like and score >= 45)):
                self._start_section(cand, line, body)
                return True
        # Renumbered outlines ("1." for 2.1 when part 1 was dropped): the text decides.
        renumbered = self._group_by_text(head, 75)
        best, score = self.m.best_section(head, gate=True, needed=70)
        # "7. Thông tin, truyền thông" is a section's short form before it is its group's.
        section_first = best is not None and score >= 90 and renumbered is not None and (
            score >= self.m.similar(head, (self.m.groups[renumbered].heading,)) + 10
        )
        if renumbered and heading_like and not section_first:
            self._start_group(renumbered, line, body)
            return True
        # Agencies that number sections "1.1", "2.2.3" instead of letters: trust the text.
        if best and score >= 70 and heading_like:
            self._start_section(best, line, body)
            return True
        if _is_closing(body) and (line.bold or line.heading_style or bool(line.auto_label)):
            self._open_closing(line, body)
            return True
        return False

    def _group_answered(self, path: str, line: _Line, body: str, best: str | None) -> bool:
        """ "2.1. Về chính sách: Không phát sinh.", "2.2. Về hạ tầng: đầu tư 15 thiết bị …": the
        group's own number, a short name of it and an answer. The name is close to one of the
        group's sections, but the number says the group: answered as a whole (its sections all
        none, or its text kept for the group), unless the text is that section's heading."""
        head, tail = _heading_part(body)
        if best is None or best.rpartition(".")[0] != path or path in self.seen_groups:
            return False
        if not tail.strip() or _is_empty(tail) or self.m.global_score(head, best) >= 70:
            return False
        self._start_group(path, line, body)
        return True

    def _shifted(self, line: _Line, path: str, head: str) -> bool:
        """ "I. / 1. / a)" for the outline's "1 / 1.a" and "2 / 2.1 / 2.1.a": under a group opened
        by a Roman numeral, a plain number is one level down. The text must not point elsewhere."""
        if not self.roman_group or not path.isdigit():
            return False
        top, n = self.roman_group, int(path)
        sub = f"{top}.{n}"
        best, best_score = self.m.best_section(head, gate=True)
        if sub in self.m.groups:
            if sub in self.seen_groups:
                return False
            score = self.m.similar(head, (self.m.groups[sub].heading,), floor=50 * _CUTOFF_MARGIN)
            if score >= 50 and (best is None or score >= best_score - 10):
                self._start_group(sub, line, parse_label(line.text, line.auto_label).body.strip())
                return True
            return False
        ids = self.m.by_group.get(top, [])
        if not 0 < n <= len(ids):
            return False
        cand = ids[n - 1]
        if cand in self.seen_heading or cand == self.target:
            return False
        # "I | CÔNG TÁC LÃNH ĐẠO" then "1 | Ban hành Kế hoạch số 23/KH-…", "3 | Không": the number
        # alone names the next section when an answer, not a heading, follows it.
        body = parse_label(line.text, line.auto_label).body.strip()
        answer = _sentence_like(body) or is_explicit_none(body)
        in_order = self._comes_next(cand) or self._opens_group(cand)
        if answer and in_order and (best in (None, cand) or best_score < 80):
            self._start_section(cand, line, "")
            self.texts[cand].append(strip_leaders(body))
            return True
        score = self.m.score(head, cand, floor=50 * _CUTOFF_MARGIN)
        if not answer and score >= 50 and (best in (None, cand) or score >= best_score - 10):
            self._start_section(cand, line, "")
            inline = strip_leaders(_heading_part(line.text)[1].strip()) if ":" in line.text else ""
            if inline:
                self.texts[cand].append(inline)
            return True
        return False

    def _group_cut_short(self, head: str, best: str | None) -> str | None:
        """ "* Công tác truyền thông": a group's heading cut to its first words (three or more),
        on a line of its own, for a group not seen yet; a section whose heading starts the same
        way keeps it."""
        words = _folded(head).split()
        if len(words) < 3 or head.rstrip().endswith((".", ";")):
            return None
        start = " ".join(words)
        found = [gid for gid, g in self.m.groups.items()
                 if gid not in self.seen_groups and f"{_folded(g.heading)} ".startswith(f"{start} ")]
        if len(found) != 1:
            return None
        if best and f"{self.m.heading_folded[best]} ".startswith(f"{start} "):
            return None
        return found[0]

    def _group_by_text(self, head: str, threshold: float) -> str | None:
        if len(head) > 220:
            return None
        # The first group with the best score, if that reaches the threshold: a group's score
        # is only worked out when it can beat both (`floor`, exact above it).
        best, best_score = None, 0.0
        for gid, g in self.m.groups.items():
            floor = max(best_score, threshold * _CUTOFF_MARGIN)
            score = self.m.similar(head, (g.heading,), floor=floor)
            if score > floor:
                best, best_score = gid, score
        return best if best_score >= threshold else None

    def _next_group_ok(self, path: str) -> bool:
        """Whether `path` is a group not seen yet that comes after the current one."""
        order = list(self.m.groups)
        if path in self.seen_groups or path not in order:
            return False
        if not self.group:
            return order.index(path) <= 1
        current = self.group if self.group in order else self.group.rpartition(".")[0]
        if current not in order:
            return True
        return order.index(path) > order.index(current)

    def _roman(self, line: _Line, body: str) -> bool:
        head, _ = _heading_part(body)
        self.started = True
        if self._is_table_title(head):
            self.table_title = True
            self.target = "extra"
            return True
        if self.m.similar_reaches(head, (_PART_ONE,), 60):
            self.target = "outline"
            self.group = ""
            return True
        # "I. Công tác lãnh đạo…", "II. Kết quả thực hiện…": groups numbered with Roman numerals.
        group = self._group_by_text(head, 70)
        if group and not _is_closing(head):
            self._start_group(group, line, body)
            self.roman_group = group if "." not in group else ""
            return True
        self.roman_group = ""
        if _closing_key(head):
            self._open_closing(line, body)
            return True
        self.target = "extra"
        self.extra.append(line.text)
        return True

    def _unlabelled(self, line: _Line, label: _Label, body: str, head: str, *, heading_like: bool) -> bool:
        if label.kind and label.kind != "bullet":
            return False
        # "Khó khăn, vướng mắc" as a heading; "Đánh giá: …" inside an answer stays there.
        inline = _heading_part(body)[1].strip()
        # The table's title stands alone; "Kết quả đạt được: Ban hành …" is an answer.
        title_alone = len(inline.split()) <= 3
        if len(body) < 160 and (heading_like or line.bold) and title_alone and self._is_table_title(head):
            self.table_title = True
            self.started = True
            self.target = "extra"
            return True
        closing_look = line.bold or line.heading_style or (not inline and len(body) < 60)
        if _is_closing(body) and closing_look and not (self.target in self.texts and inline):
            self._open_closing(line, body)
            return True
        if not heading_like:
            return self._plain_heading(line, body)
        # Below 70 neither the section nor the score matters: every use below asks for 70 or
        # more, or compares with a group's score of 85 or more.
        best, score = self._best_in_context(head, needed=70)
        looks = line.bold or line.heading_style
        # A group's own heading ("Tăng cường phát triển hạ tầng đo lường tại địa phương") is
        # close to its first section's: the better match decides.
        group = self._group_by_text(head, 85)
        cut = self._group_cut_short(head, best)
        if cut:
            self._start_group(cut, line, body)
            return True
        if group and self.target == "header" and not line.heading_style:
            # Title lines ("Kết quả sơ kết thực hiện Đề án 996…") read like group 2's heading:
            # before the outline starts, only the first group or a near-verbatim heading counts.
            first = next(iter(self.m.groups), None)
            if group != first and self.m.similar(head, (self.m.groups[group].heading,)) < 95:
                group = None
        if group and self.m.similar(head, (self.m.groups[group].heading,)) >= score:
            self._start_group(group, line, body)
            return True
        if best and (
            (looks and score >= 80)
            # "- Hội nghị, hội thảo: Đưa tin 11 hội nghị …" right under its group: a short
            # item title, then its answer, for the next section of that group.
            or (
                score >= 70
                and head != body
                and len(head.split()) <= _SHORT_HEADING_WORDS
                and not _sentence_like(head)
                and best != self.target
                and best not in self.seen_heading
                and (
                    best.rpartition(".")[0] == self.group and (self._comes_next(best) or self._opens_group(best))
                    # "2. Kết quả …" then "Về công tác tuyên truyền: …": the first section of
                    # a subgroup not seen yet, its subgroup's heading skipped.
                    or self._opens_subgroup(best)
                )
            )
            # A plain paragraph with a colon is usually an answer that names its topic
            # ("Đã ban hành 03 văn bản chỉ đạo, điều hành gồm: …"): demand a near-copy.
            or (
                score >= 88
                and best != self.target
                and best not in self.seen_heading
                and (
                    self.m.global_score(head, best) >= 80
                    or (score >= 95 and len(head.split()) >= 15)
                    # Paraphrased headings without labels, answered on their own line: the
                    # next section in the outline's order, and not worded like a sentence.
                    or (self._comes_next(best) and not _sentence_like(head)
                        and self.m.global_score(head, best) >= 60)
                    or (best.rpartition(".")[0] == self.group and not _sentence_like(head)
                        and self.m.global_score(head, best) >= 60)
                )
            )
        ):
            self._start_section(best, line, body)
            return True
        if group:
            self._start_group(group, line, body)
            return True
        ids = self.m.by_group.get(self.group, [])
        if head != body and ids and not _sentence_like(head):
            # A long heading naming two sections of the current group, then their answer.
            pair = self._joint_heading(ids[0], body, any_pair=True)
            if pair and not any(sid in self.seen_heading for sid in pair):
                self._start_joint(pair, line, body)
                return True
        if len(head) < 150 and self.m.similar_reaches(head, (_PART_ONE,), 80):
            self.started = True
            self.target = "outline"
            return True
        return False

    def _best_in_context(self, head: str, needed: float = 0.0) -> tuple[str | None, float]:
        """The best section for a heading; near-ties go to the current group, then to a
        section not seen yet, then to the one closest after the last section.

        For a caller that only uses a result scoring `needed` or more: below that, the
        section and score returned may be other ones, also scoring less than `needed`."""
        window = _NEAR_SHORT if len(head.split()) <= _SHORT_HEADING_WORDS else _NEAR
        scored = self.m.near_best(head, window, needed)
        if not scored:
            return None, 0.0
        top = max(score for score, _ in scored)
        order = list(self.m.sections)
        last = order.index(self.last_section) if self.last_section else -1

        def preference(item: tuple[float, str]) -> tuple[bool, bool, int]:
            sid = item[1]
            distance = order.index(sid) - last
            return (
                sid.rpartition(".")[0] == self.group,
                sid not in self.seen_heading,
                -(distance if distance > 0 else 100 - distance),
            )

        # A heading cut to its first words ("Kiểm định, hiệu chuẩn, thử nghiệm phương tiện:")
        # fits several sections of the same wording about equally: the outline's order (the
        # current group, the next section) weighs more than a few points of text.
        near = sorted((item for item in scored if item[0] >= top - window), key=lambda x: -x[0])
        score, sid = max(near, key=preference)
        # The text alone does not decide between the chosen section and another one of
        # another group (both within the window of the best score), and no printed group
        # heading holds the chosen one but not the other: the order of the outline picked it,
        # which is a guess a person should see (`section_ambiguous`).
        printed = self.printed_group
        rivals = [
            (s, r) for s, r in near
            if r != sid and r.rpartition(".")[0] != sid.rpartition(".")[0]
            and not (printed and sid.startswith(printed + ".") and not r.startswith(printed + "."))
        ]
        if rivals and score >= needed:
            self.rivals[(head, sid)] = (score, tuple((r, s) for s, r in sorted(rivals, reverse=True)))
        return sid, score

    def _plain_heading(self, line: _Line, body: str) -> bool:
        """A heading typed like body text (no label, not bold, no colon): a line without final
        punctuation that is the outline's heading, or reads like the next section's."""
        if body.rstrip().endswith((".", ";", ",")) or _sentence_like(body) or len(body.split()) > 120:
            return False
        best, score = self._best_in_context(body, needed=85)
        if not best or best in self.seen_heading or best == self.target or score < 85:
            return False
        whole = self.m.global_score(body, best)
        # The outline's heading pasted as is, possibly with its tail ("… nếu có").
        if _folded(body).startswith(self.m.heading_folded[best][:40]):
            whole = max(whole, score)
        same_group = best.rpartition(".")[0] == self.group
        in_context = self._comes_next(best) or same_group
        short = len(body.split()) <= 14
        if (
            whole >= 90
            or (short and whole >= 70 and in_context)
            or (short and whole >= 60 and self._comes_next(best) and same_group)
        ):
            self._start_section(best, line, body)
            return True
        return False

    def _opens_group(self, sid: str) -> bool:
        """Whether `sid` is the first section of the current group and none of it is seen yet."""
        ids = self.m.by_group.get(self.group, [])
        return bool(ids) and ids[0] == sid and not any(i in self.seen_heading for i in ids)

    def _opens_subgroup(self, sid: str) -> bool:
        """Whether `sid` is the first section of a subgroup of the current group (2.5.a under
        "2."), none of that subgroup seen yet."""
        parent = sid.rpartition(".")[0]
        if not self.group or not parent.startswith(f"{self.group}.") or parent in self.seen_groups:
            return False
        ids = self.m.by_group.get(parent, [])
        return bool(ids) and ids[0] == sid and not any(i in self.seen_heading for i in ids)

    def _comes_next(self, sid: str) -> bool:
        """Whether `sid` is the next section (or the one after) in the outline's order."""
        order = list(self.m.sections)
        last = self.last_section
        if last is None:
            return order.index(sid) <= 1
        return 1 <= order.index(sid) - order.index(last) <= 2

    def _start_group(self, gid: str, line: _Line, body: str) -> None:
        """A group's heading. Its own line may answer the whole group after a colon: "Không có"
        answers each of its sections; any other text is kept as the group's text."""
        self.seen_groups.add(gid)
        self.started = True
        self.group = gid
        self.printed_group = gid
        self.groups_found += 1
        self.target = "outline"
        tail = strip_leaders(_heading_part(body)[1].strip())
        if not tail or _is_empty(tail):
            return
        if is_explicit_none(tail):
            self.group_none[gid] = (tail, line.where)
            return
        self.extra.append(tail)
        self.group_text.setdefault(gid, []).append(tail)
        self.group_where.setdefault(gid, line.where)

    def _start_section(self, sid: str, line: _Line, body: str) -> None:
        pair = self._joint_heading(sid, body)
        if pair:
            self._start_joint(pair, line, body)
            return
        self.started = True
        parent, _, _ = sid.rpartition(".")
        self.group = parent
        self.target = sid
        contest = self.rivals.get((body, sid)) or self.rivals.get((_heading_part(body)[0], sid))
        if contest and sid not in self.contested:
            self.contested[sid] = (contest[0], contest[1], _heading_part(body)[0], line.where)
        self.last_section = sid
        self.seen_heading.add(sid)
        self.wheres.setdefault(sid, line.where)
        head, answer = _split_heading(body, self.m.sections[sid])
        sentence = self._after_sentence(body, sid)
        if sentence and len(sentence) > len(answer):
            answer = sentence  # "Heading. Answer: with a colon inside" splits at the full stop
        if not answer:
            answer = self._after_dash(head, sid)
        answer = strip_leaders(answer)
        if answer:
            self.texts[sid].append(answer)

    def _joint_heading(self, sid: str, body: str, *, any_pair: bool = False) -> tuple[str, ...]:
        """ "Về tuyên truyền tại hội nghị, hội thảo và đưa tin, viết bài …: …": a heading that
        joins two sections of one group, each half naming one of them clearly (the half's
        best section, ahead of the other by a margin). () when the heading is one section's."""
        head = _heading_part(body)[0]
        if len(head.split()) > 40:
            return ()
        group = sid.rpartition(".")[0]
        ids = self.m.by_group.get(group, [])
        if len(ids) < 2:
            return ()
        for cut in _JOINT_CUT.finditer(head):
            left, right = head[: cut.start()], head[cut.end() :]
            if len(left.split()) < 2 or len(right.split()) < 2:
                continue
            picks = []
            for half in (left, right):
                scores = sorted(((self.m.score(half, i), i) for i in ids), reverse=True)
                (top, best), (second, _) = scores[0], scores[1]
                if top < _JOINT_SCORE or top - second < _JOINT_MARGIN:
                    break
                picks.append(best)
            if len(picks) == 2 and picks[0] != picks[1] and (any_pair or sid in picks):
                return tuple(sorted(picks, key=ids.index))
        return ()

    def _start_joint(self, pair: tuple[str, ...], line: _Line, body: str) -> None:
        """One paragraph answering several sections at once: kept as their joint answer (in
        `groups`, key "2.5.a+2.5.b"), shown under each of them, never under one only."""
        self.started = True
        self.group = pair[0].rpartition(".")[0]
        self.joint = JOINT.join(pair)
        self.target = "joint"
        self.last_section = pair[-1]
        for sid in pair:
            self.seen_heading.add(sid)
            self.wheres.setdefault(sid, line.where)
        answer = strip_leaders(_heading_part(body)[1].strip())
        if answer:
            self.group_text.setdefault(self.joint, []).append(answer)
            self.group_where.setdefault(self.joint, line.where)

    def _after_dash(self, body: str, sid: str) -> str:
        """ "a) Về xây dựng kế hoạch – Sở đã ban hành…": an answer after a dash, not a year range."""
        whole = self.m.score(body, sid)
        for m in re.finditer(r"\s[-–—]\s", body):
            head, rest = body[: m.start()], body[m.end() :]
            if (head[-1:].isdigit() and rest[:1].isdigit()) or len(rest.split()) < 3:
                continue
            if self.m.score(head, sid) >= max(60.0, whole):
                return rest
        return ""


    def _after_sentence(self, body: str, sid: str) -> str:
        """ "a) Về xây dựng kế hoạch thực hiện Đề án 996. Sở đã ban hành …": the outline's
        heading copied as a sentence, the answer after its full stop."""
        for m in _SENTENCE_END.finditer(body):
            head, rest = body[: m.start()], body[m.end() :]
            if not rest.strip() or len(head.split()) < 3:
                continue
            if self.m.global_score(head, sid) >= 80 or (
                self.m.score(head, sid) >= 90 and self.m.global_score(head, sid) >= 55
            ):
                return rest
            break  # only the first sentence can be the heading
        return ""


def _is_empty(text: str) -> bool:
    """An unfilled answer: nothing, leaders, punctuation, or a placeholder left as is."""
    stripped = strip_leaders(text)
    if not stripped or is_leader_only(stripped):
        return True
    if _PLACEHOLDER.match(stripped):
        return True
    return stripped.strip("()[] ").lower() in {"nếu có", "(nếu có)", "nội dung", "…", "..."}
