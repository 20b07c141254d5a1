"""Who sent a document, its number and its date — read from the header block like a clerk would.

An official letter (Nghị định 30/2020/NĐ-CP layout) has, top-left, the parent body and the
issuing agency in capitals (`UBND TỈNH QUẢNG NGÃI` / `SỞ Y TẾ`) and `Số: 245/BC-SYT`; top-right
the national motto and `Quảng Ngãi, ngày 11 tháng 8 năm 2025`. Word files put that block in a
borderless table or in tab-separated paragraphs. Failing the header, the opening sentence
("…, Sở Tài chính báo cáo như sau") or the signature block name the agency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from parsers.caching import per_outline
from parsers.document import Doc, Para, Table
from parsers.model import Agency, AgencySpec
from parsers.textnorm import clean
from parsers.textnorm import fold_words as _fold_words


@lru_cache(maxsize=8192)
def fold_words(text: str) -> str:
    """Cached accent-folded words (agency names are folded for every header line)."""
    return _fold_words(text)

_NUMBER_BODY = r"(?P<num>\d{1,5}[A-Za-z]?(?:\s*-\s*[A-ZĐ]{1,5})?\s*/\s*[^\W_][\w&\-–.]*(?:\s*[/\-–]\s*[^\W_][\w&\-–.]*)*)"
_NUMBER = re.compile(r"(?:^|\s|\||[(\[])S[ốôỐÔ]\s*(?:hiệu|HIỆU)?\s*[:.]?\s*" + _NUMBER_BODY)
# A sheet's title row "Báo cáo số 3460/BC-SNNMT ngày 18/8/2025": its own number.
_OWN_TITLE_NUMBER = re.compile(r"^\s*(?:Báo cáo|BÁO CÁO)\s+số\s+" + _NUMBER_BODY)
# A title-block line naming its report's number after other words: "HỘI DOANH NHÂN TRẺ TỈNH … -
# Báo cáo số 09/BC-HDNT", "Số liệu kèm Báo cáo số 512/BC-VP" (a sheet's title cell).
_TITLE_REPORT_NUMBER = re.compile(r"(?:^|[\s(\[|\-–—:])(?:Báo cáo|BÁO CÁO|báo cáo)\s+(?:số|SỐ)\s*:?\s*" + _NUMBER_BODY)
_TITLE_LINE_WORDS = 16
# Words before such a number that make the line a sentence about another report.
_CITING = re.compile(r"\b(?:thuc hien|theo|can cu|phuc dap|tra loi|tiep theo|bo sung)\b")
_OWN_TITLE_DATE = re.compile(_OWN_TITLE_NUMBER.pattern + r"\s*,?\s*(?:ngày)?$")
_DATE_WORDS = re.compile(
    r"ngày\s*(?P<d>\d{1,2})\s*tháng\s*(?P<m>\d{1,2})\s*năm\s*(?P<y>\d{4})", re.IGNORECASE
)
_DATE_NUMERIC = re.compile(r"(?<![\d/])(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})(?!\d)")
# "Quyết định số …", "Kế hoạch số …": a document cited by number, not the letter's own number.
_CITED = re.compile(
    r"(?:quyet dinh|ke hoach|van ban|cong van|thong tu|nghi dinh|chi thi|nghi quyet|to trinh|"
    r"thong bao|luat|de an|chuong trinh)$"
)
# "(Kèm theo Báo cáo số 312/BC-MTTQ ngày 12/8/2025)": the date of the document cited.
_CITED_WITH_DATE = re.compile(_CITED.pattern[:-2] + r"|bao cao) so \d+\b")
# "Quảng Ngãi," / "Kon Tum, ngày" just before the date.
_PLACE_PREFIX = re.compile(r"(?:^|\s)[A-ZĐ][^\d,;:.]{1,30},(?:\s*ngày)?$")
# Lines of the header block that are not the agency's name.
# Lines of the header block that are not the agency's name…
_NOT_AGENCY = ("cong hoa xa hoi", "doc lap", "quang ngai, ngay", "ngay ")
# …and lines that end the organisation part (the title, the subject, the addressee).
_END_OF_ORGS = (
    "v/v", "ve viec", "kinh gui", "bao cao", "giay moi", "cong van", "to trinh", "ke hoach",
    "thong bao", "quyet dinh", "de cuong", "danh sach", "phieu", "bien ban", "bieu ",
)
_PARENT = re.compile(
    r"^(?:ubnd|uy ban nhan dan|ubmttq|tinh uy|bo (?!chi huy|chqs)|dang bo|hdnd|quan khu|tong lien doan|"
    r"trung uong|thuong truc$|van phong$)\b"
    # "TỈNH QUẢNG NGÃI" above "UBND HUYỆN BÌNH SƠN": a province named alone is the superior
    # body, not an agency ("TỈNH ĐOÀN …", "TỈNH ỦY …", "TỈNH HỘI …" are organisations).
    r"|^tinh (?!doan\b|uy\b|hoi\b|ban\b)\w+(?: \w+){0,3}$"
)
# "BAN CHẤP HÀNH HỘI LHPN TỈNH" names the Hội: the organ in front is dropped before comparing.
_ORGAN_PREFIX = re.compile(r"^(?:ban chap hanh|ban thuong vu|ban thuong truc|bch|btv|thuong truc) (?=\w)")
_PLACE_WORDS = {"tinh", "quang", "ngai", "kon", "tum", "viet", "nam"}
# Organs that only name an agency together with the line above ("ỦY BAN MTTQ VN TỈNH" /
# "BAN THƯỜNG TRỰC"; "UBND TỈNH QUẢNG NGÃI" / "VĂN PHÒNG").
_ORGAN = re.compile(
    r"^(?:ban thuong truc|ban thuong vu|ban chap hanh|thuong truc|van phong|doan chu tich|phong .+)$"
)
# Abbreviations in letterheads, expanded before comparing names.
_ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan", "ubmttq": "uy ban mat tran to quoc", "mttq": "mat tran to quoc",
    "vn": "viet nam", "kkt": "khu kinh te", "kcn": "khu cong nghiep", "ldld": "lien doan lao dong",
    "hlhpn": "hoi lien hiep phu nu", "lhpn": "lien hiep phu nu", "ccb": "cuu chien binh",
    "htx": "hop tac xa", "dn": "doanh nghiep", "bql": "ban quan ly", "gd": "giao duc", "dt": "dao tao",
    "bchqs": "bo chi huy quan su", "qs": "quan su", "dh": "dai hoc", "tt": "trung tam",
    "pt th": "phat thanh truyen hinh", "vh": "van hoa", "tt dl": "the thao du lich",
    "ptth": "phat thanh truyen hinh", "chqs": "chi huy quan su",
    "vh tt va dl": "van hoa the thao va du lich", "vh tt dl": "van hoa the thao du lich",
}
_MULTIWORD = tuple(sorted((k for k in _ABBREVIATIONS if " " in k), key=len, reverse=True))


def _expand(folded: str) -> str:
    # Two-word abbreviations first ("pt th", "tt dl"), then single words.
    padded = f" {folded} "
    for key in _MULTIWORD:
        padded = padded.replace(f" {key} ", f" {_ABBREVIATIONS[key]} ")
    return " ".join(_ABBREVIATIONS.get(w, w) for w in padded.split())
_BODY_START = re.compile(r"^\s*(?:[IVX]{1,4}\.|\d{1,2}\.(?:\d{1,2}\.?)?\s|[a-zđ]\))")


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.6 * len(letters)


@dataclass
class Identity:
    """Agency, number and date of a document."""

    agency: Agency
    doc_number: str | None
    doc_date: str | None


def header_lines(doc: Doc, limit: int = 14) -> list[str]:
    """The lines of the header block: a leading borderless table's cells, else the first paragraphs."""
    lines: list[str] = []
    for block in doc.blocks[:limit]:
        if isinstance(block, Table):
            if not lines and (block.borderless or len(block.rows) <= 4):
                for row in block.rows[:6]:
                    seen: list[str] = []
                    for cell in row:
                        if cell not in seen:
                            seen.append(cell)
                    for cell in seen:
                        lines.extend(_split_header_line(x) for x in cell.split("\n"))
                continue
            break
        if isinstance(block, Para):
            if _BODY_START.match(block.text) or len(block.text.split()) > 30:
                break
            lines.extend(_split_header_line(x) for x in block.text.split("\n"))
    return [clean(x) for line in lines for x in line.split("\n") if clean(x)]


_MOTTOS = (
    ("cong", "hoa", "xa", "hoi", "chu", "nghia", "viet", "nam"),
    ("doc", "lap", "tu", "do", "hanh", "phuc"),
)


def _unglue(text: str) -> str:
    """'VÀ DU LỊCHĐộc lập' → 'VÀ DU LỊCH Độc lập' (PDF text loses the gap between two blocks).

    Only a run of three or more capitals glued to a capitalised word, outside document
    numbers ("301/TTr-VP" stays as it is).
    """
    out = []
    for token in text.split(" "):
        if "/" not in token:
            chars: list[str] = []
            for i, ch in enumerate(token):
                before = token[max(0, i - 3) : i]
                if (
                    len(before) == 3
                    and all(c.isalpha() and c.isupper() for c in before)
                    and ch.isupper()
                    and token[i + 1 : i + 2].islower()
                ):
                    chars.append(" ")
                chars.append(ch)
            token = "".join(chars)
        out.append(token)
    return " ".join(out)


def _motto_run(folded: list[str], i: int) -> int:
    """Length (in tokens) of a run of the national motto starting at token i (0 if none)."""
    best = 0
    for motto in _MOTTOS:
        for start in range(len(motto)):
            j, k, matched = i, start, 0
            while j < len(folded) and k < len(motto):
                if not folded[j]:  # "-" between "Độc lập" and "Tự do"
                    j += 1
                    continue
                if folded[j] != motto[k]:
                    break
                j, k, matched = j + 1, k + 1, matched + 1
            if matched >= 3:  # "VIỆT NAM" alone is part of names (Ủy ban MTTQ Việt Nam tỉnh)
                best = max(best, j - i)
    return best


def _split_header_line(text: str) -> str:
    """Cut a line where the right-hand block (motto, place and date) was laid beside the left.

    Tab-laid Word headers and PDF text put "UBND TỈNH QUẢNG NGÃI CỘNG HÒA XÃ HỘI CHỦ" on one
    line and "NGHĨA VIỆT NAM SỞ Y TẾ Độc lập - Tự do - Hạnh phúc" on the next: the motto
    fragments are removed and what is left becomes separate lines.
    """
    folded_line = fold_words(text)
    if not any(w in folded_line for w in ("cong hoa", "xa hoi", "chu nghia", "viet nam", "doc lap", "tu do", "hanh phuc", "quang ngai", "kon tum")):
        return text
    tokens = _unglue(text).split()
    folded = [fold_words(t) for t in tokens]
    pieces: list[list[str]] = [[]]
    i = 0
    while i < len(tokens):
        run = _motto_run(folded, i) if folded[i] else 0
        if run:
            pieces.append([])
            i += run
            continue
        if folded[i] in {"quang", "kon"} and i + 2 < len(folded) and folded[i + 2].startswith(("ngay", "0", "1", "2", "3")) and pieces[-1]:
            pieces.append([])  # "… Quảng Ngãi, ngày 11 tháng 8" starts the right-hand side
        pieces[-1].append(tokens[i])
        i += 1
    return "\n".join(" ".join(p) for p in pieces if p)


def read_identity(
    doc: Doc,
    agencies: Sequence[AgencySpec],
    *,
    body_lines: Sequence[str] = (),
    signature_lines: Sequence[str] = (),
    header: Sequence[str] | None = None,
) -> Identity:
    """Agency (matched to the recipient list), document number and date (`header`: the
    document's `header_lines`, when the caller has them already)."""
    lines = header_lines(doc) if header is None else header
    top = [x for line in lines for x in line.split("\n") if x.strip()]
    return Identity(
        agency=find_agency(top, agencies, body_lines=body_lines, signature_lines=signature_lines),
        doc_number=find_number(top + list(body_lines[:6])) or find_number(first_table_lines(doc)),
        doc_date=find_date(top) or find_date([*body_lines[:8], *signature_lines], strict=True)
        or find_date(first_table_lines(doc), strict=True),
    )


def find_number(lines: Sequence[str]) -> str | None:
    """`Số: 245/BC-SYT` → `245/BC-SYT` (only from a line that starts the number, not prose)."""
    for line in lines:
        for m in _NUMBER.finditer(line):
            before = line[: m.start()].strip()
            # Prose before it is another sentence; a letterhead in capitals (its lines run
            # together: "UBND TỈNH QUẢNG NGÃI SỞ XÂY DỰNG Số: 88/BC-SXD") is not.
            # "… Đề án 996 (Số 90/BC-LĐLĐ)": a number in brackets is the title's own, not prose.
            bracketed = line[m.start()] in "(["
            if (before and not bracketed and not before.endswith("|") and len(before.split()) > 6
                    and not _mostly_upper(before)):
                continue
            if _CITED.search(fold_words(before)):
                continue  # "Quyết định số 996/QĐ-TTg": another document's number, not this one's
            num = re.sub(r"\s+", "", m.group("num")).replace("–", "-").rstrip(".-")
            return num
        own = _OWN_TITLE_NUMBER.match(line)
        if own:
            return re.sub(r"\s+", "", own.group("num")).replace("–", "-").rstrip(".-")
    return _title_number(lines)


def _title_number(lines: Sequence[str]) -> str | None:
    """A report number in a short title line, after other words ("… - Báo cáo số 09/BC-HDNT"):
    a report's code (BC) in it, no citing words before, not an appendix's note ("Kèm theo Báo
    cáo số …" is the report it belongs to: `find_part_of`)."""
    for line in lines:
        if len(line.split()) > _TITLE_LINE_WORDS or _PART_OF.search(line):
            continue
        for m in _TITLE_REPORT_NUMBER.finditer(line):
            num = re.sub(r"\s+", "", m.group("num")).replace("–", "-").rstrip(".-")
            before = fold_words(line[: m.start()])
            if "BC" not in num.upper() or _CITING.search(before) or _CITED.search(before):
                continue
            return num
    return None


def first_table_lines(doc: Doc, rows: int = 3) -> list[str]:
    """The cells of the first rows of the document's first table, when a table comes before any
    long paragraph (a letterhead laid out in a bordered table, a form's title rows): where
    the number and the date may stand when the header block has none."""
    for block in doc.blocks[:6]:
        if isinstance(block, Table):
            out: list[str] = []
            for row in block.rows[:rows]:
                for cell in dict.fromkeys(row):
                    out.extend(clean(x) for x in str(cell).split("\n") if clean(x))
            return out
        if isinstance(block, Para) and len(block.text.split()) > 30:
            break
    return []



def find_date(lines: Sequence[str], *, strict: bool = False) -> str | None:
    """`Quảng Ngãi, ngày 11 tháng 8 năm 2025` or `…, 11/8/2025` → `2025-08-11`.

    A date right after a place ("Quảng Ngãi, ") or alone on its line wins; `strict` accepts
    nothing else (dates inside sentences are deadlines and references, not the letter's date).
    """
    fallback: str | None = None
    for line in lines:
        for pattern in (_DATE_WORDS, _DATE_NUMERIC):
            for m in pattern.finditer(line):
                value = _iso(m.group("y"), m.group("m"), m.group("d"))
                if value is None:
                    continue
                prefix = line[: m.start()].strip()
                if not prefix or _PLACE_PREFIX.search(prefix) or _OWN_TITLE_DATE.match(prefix):
                    return value
                if _CITED_WITH_DATE.search(fold_words(prefix)):
                    continue  # "Quyết định số 996/QĐ-TTg ngày 10 tháng 8 năm 2018": a cited date
                fallback = fallback or value
    return None if strict else fallback


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def _variants(agency: AgencySpec) -> list[str]:
    return [agency.name, *agency.aliases]


# "BCH ĐOÀN TNCS HỒ CHÍ MINH TỈNH QUẢNG NGÃI", "ĐOÀN TỈNH QUẢNG NGÃI" are the Tỉnh đoàn.
# "ĐOÀN TNCS HỒ CHÍ MINH" / "BCH TỈNH QUẢNG NGÃI" (the organ under the union's name) too.
_YOUTH_UNION = re.compile(
    r"^doan (?:tncs |thanh nien cong san )?(?:ho chi minh )?(?:(?:bch|ban chap hanh|btv|ban thuong vu) )?tinh\b"
)
_PARENT_PREFIX = re.compile(r"^(?:ubnd|uy ban nhan dan) tinh (?:quang ngai|kon tum) ")


# A header line is scored against every agency, and the agencies' names are the same for every
# document: what is folded and expanded is kept, the names' per outline (`_expanded`,
# `_whole_token`, `_folded_name` see only the agencies' names and aliases), the lines' per input.
@lru_cache(maxsize=4096)
def _line_name(line: str) -> str:
    """A header line folded, its parent and organ prefixes dropped, abbreviations spelt out."""
    f = _expand(_ORGAN_PREFIX.sub("", _PARENT_PREFIX.sub("", fold_words(line))))
    return _YOUTH_UNION.sub("tinh doan", f)


@per_outline(maxsize=4096)
def _expanded(name: str) -> str:
    return _expand(_fold_words(name))


@per_outline(maxsize=4096)
def _folded_name(name: str) -> str:
    return _fold_words(name)


@per_outline(maxsize=4096)
def _whole_token(name: str) -> re.Pattern[str]:
    """An abbreviation as a whole token, as written."""
    return re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")


def _line_score(line: str, agency: AgencySpec) -> float:
    """0..100: how well a header line names the agency."""
    f = _line_name(line)
    if not f:
        return 0.0
    best = 0.0
    for v in _variants(agency):
        fv = _expanded(v)
        if not fv:
            continue
        if len(fv) <= 4 or " " not in fv:  # abbreviation: whole token, as written
            if _whole_token(v).search(line):
                best = max(best, 92.0)
            continue
        score = max(fuzz.ratio(f, fv), fuzz.token_sort_ratio(f, fv) - 3)
        if score < 97 and not _same_words(f, fv):
            # "SỞ NGOẠI VỤ" is not "Sở Nội vụ": near spellings of different names never match.
            score = min(score, 80.0)
        # "SỞ Y TẾ TỈNH QUẢNG NGÃI", "BAN QUẢN LÝ KKT…": a name plus a tail of place words.
        if f.startswith(fv) or fv.startswith(f) and len(f) >= 0.6 * len(fv):
            tail = f[len(fv) :] if f.startswith(fv) else ""
            if not tail.strip() or set(tail.split()) <= {"tinh", "quang", "ngai", "kon", "tum"}:
                score = max(score, 97.0)
        best = max(best, score)
    return best


_GENERIC_WORDS = frozenset({"so", "va", "tinh", "quang", "ngai", "kon", "tum", "cac"})


def _same_words(a: str, b: str) -> bool:
    """The distinctive words of one name are all among the other's (either way)."""
    wa = set(a.split()) - _GENERIC_WORDS
    wb = set(b.split()) - _GENERIC_WORDS
    if not wa or not wb:
        # "TỈNH QUẢNG NGÃI" has no distinctive word: a place is not every agency named after it.
        return wa == wb
    return wa <= wb or wb <= wa


def _match(line: str, agencies: Sequence[AgencySpec]) -> tuple[AgencySpec | None, float]:
    best, best_score = None, 0.0
    for agency in agencies:
        score = _line_score(line, agency)
        if score > best_score:
            best, best_score = agency, score
    return best, best_score


def _org_lines(top: Sequence[str]) -> list[str]:
    """Header lines that can be an organisation's name (before Số:, not the motto)."""
    out: list[str] = []
    for line in top:
        f = fold_words(line)
        raw = line.strip()
        if raw.startswith(("Số", "SỐ", "So:")) or "/" in raw and any(c.isdigit() for c in raw):
            break
        if any(f.startswith(k.replace("/", " ")) for k in _END_OF_ORGS):
            break
        if any(f.startswith(k.replace("/", " ").strip()) for k in _NOT_AGENCY) or not f:
            continue
        if re.search(r"\d{4}", raw) or len(raw) > 90:
            continue
        out.append(raw)
    return out[:4]


# A line that is only a place ("HUYỆN SƠN TỊNH") completes the name above it.
_ADMIN_UNIT = re.compile(r"^(?:huyen|thi xa|thanh pho|xa|phuong|quan) \w+")
# A letterhead line naming only the type of body ("ỦY BAN NHÂN DÂN" / "HUYỆN SƠN TỊNH").
_BARE_TYPES = {"uy ban nhan dan", "ubnd", "hoi dong nhan dan", "hdnd"}


def _merge_continuations(lines: list[str]) -> list[str]:
    """Join a name broken over two lines ("SỞ VĂN HÓA, THỂ THAO" / "VÀ DU LỊCH")."""
    out: list[str] = []
    for line in lines:
        folded = fold_words(line)
        place_only = bool(folded) and set(folded.split()) <= _PLACE_WORDS
        bare_type = bool(out) and (fold_words(out[-1]) in _BARE_TYPES or bool(_ADMIN_UNIT.match(folded)))
        if out and (bare_type or place_only or folded.startswith(("va ", "thuoc ")) or out[-1].rstrip().endswith((",", "&", "-"))):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _own_lines(orgs: list[str]) -> list[str]:
    """Letterhead lines that name an organisation itself (not its parent, not an organ)."""
    return [
        line
        for line in orgs
        if not _PARENT.match(fold_words(line)) and not _ORGAN.match(fold_words(line)) and _mostly_upper(line)
    ]


def _superior_lines(orgs: list[str]) -> set[str]:
    """Parent-body lines with another line of the block below them ("UBND TỈNH QUẢNG NGÃI",
    "TỈNH QUẢNG NGÃI" above the issuer): they never name the issuing agency by themselves."""
    return {line for line in orgs[:-1] if _PARENT.match(fold_words(line))}


def _merge_organ(orgs: list[str]) -> list[str]:
    """ "ỦY BAN MTTQ VN TỈNH" / "BAN THƯỜNG TRỰC": the agency is the line above the organ."""
    if orgs and _ORGAN.match(fold_words(orgs[-1])) and len(orgs) >= 2:
        return [*orgs[:-2], f"{orgs[-1]} {orgs[-2]}", orgs[-2]]
    return orgs


def find_agency(
    top: Sequence[str],
    agencies: Sequence[AgencySpec],
    *,
    body_lines: Sequence[str] = (),
    signature_lines: Sequence[str] = (),
) -> Agency:
    """The agency: header block first, then the opening sentences, then the signature."""
    orgs = _merge_continuations(_org_lines(top))
    own = _own_lines(orgs)
    superior = _superior_lines(orgs)
    orgs = _merge_organ(orgs)
    # The issuer is the lowest line of the block ("UBND TỈNH QUẢNG NGÃI" / "SỞ Y TẾ"); a line
    # below a recipient ("SỞ Y TẾ" / "TRUNG TÂM Y TẾ HUYỆN…") is a unit of its own.
    issuer = own[-1] if own else (orgs[-1] if orgs else None)
    candidates = [issuer] if own else list(reversed(orgs))
    for line in candidates:
        if line is None or line in superior:
            continue
        for name in _name_parts(line):
            agency, score = _match(name, agencies)
            if agency and score >= 85:
                return Agency(agency.id, name, score / 100)
    if issuer is not None:
        i = orgs.index(issuer)
        joined = []
        if i > 0:
            joined = [f"{orgs[i - 1]} {issuer}", f"{issuer} {orgs[i - 1]}"]
        for line in joined:
            agency, score = _match(line, agencies)
            if agency and score >= 88:
                return Agency(agency.id, issuer, score / 100 * 0.95)
    own = _own_lines(orgs)
    orgs = _merge_organ(orgs)
    if own:
        # The header names an organisation that is not a recipient: keep it as written rather
        # than picking up an agency the opening sentence merely mentions.
        return Agency(None, own[-1], 0.0)
    for source, weight in ((list(body_lines[:6]), 0.85), (list(signature_lines), 0.75)):
        found = _find_in_prose(source, agencies)
        if found:
            agency, name = found
            return Agency(agency.id, name, weight)
    parents = [line for line in orgs if _mostly_upper(line)]
    if parents:
        return Agency(None, parents[-1], 0.0)
    return Agency(None, None, 0.0)


_TITLE_DASH = re.compile(r"\s+[-–—:]\s+")


def _name_parts(line: str) -> list[str]:
    """A header line, then its part before a spaced dash: a sheet's one-line title names the
    agency and then what the sheet is ("TRUNG TÂM … – SỐ LIỆU ĐỀ ÁN 996")."""
    head = _TITLE_DASH.split(line, maxsplit=1)[0].strip()
    return [line, head] if head and head != line.strip() else [line]


def _find_in_prose(lines: Sequence[str], agencies: Sequence[AgencySpec]) -> tuple[AgencySpec, str] | None:
    """An agency named inside sentences ("…, Sở Tài chính báo cáo như sau")."""
    best: tuple[tuple[bool, int], AgencySpec, str] | None = None
    for line in lines:
        folded = " " + fold_words(line) + " "
        for agency in agencies:
            for v in _variants(agency):
                fv = _folded_name(v)
                if not fv:
                    continue
                if len(fv) <= 4 or " " not in fv:
                    hit = _whole_token(v).search(line)
                    pos = hit.start() if hit else -1
                else:
                    pos = folded.find(" " + fv + " ")
                # An agency speaking for itself ("…, Sở Tài chính báo cáo như sau") beats one
                # merely mentioned ("phối hợp với Sở Y tế"); then the longest name.
                if pos >= 0:
                    after = folded[pos + len(fv) + 1 : pos + len(fv) + 40] if " " in fv else ""
                    speaks = after.lstrip().startswith(("bao cao", "xin bao cao", "kinh bao cao", "tran trong bao cao"))
                    rank = (speaks, len(fv))
                    if best is None or rank > best[0]:
                        best = (rank, agency, v)
    if best is None:
        return None
    return best[1], best[2]


def agency_in_text(text: str, agencies: Sequence[AgencySpec]) -> AgencySpec | None:
    """The recipient a free text names, if any (used by the kind classifier and tests)."""
    found = _find_in_prose([text], agencies)
    return found[0] if found else None


# "(Kèm theo Báo cáo số 312/BC-MTTQ-BTT ngày 12/8/2025)": the report an appendix belongs to.
_PART_OF = re.compile(
    r"(?:kèm theo|đính kèm|ban hành kèm|phụ lục (?:của|kèm theo))\s+(?:báo cáo|công văn|văn bản)\s+số\s*:?\s*"
    r"(?P<num>\d{1,5}[A-Za-z]?\s*/\s*[^\W_][\w&\-–.]*(?:\s*[/\-–]\s*[^\W_][\w&\-–.]*)*)",
    re.IGNORECASE,
)
# "Báo cáo này thay thế Báo cáo số 12/BC-SYT ngày …": a corrected version.
_REPLACES = re.compile(
    r"(?:thay thế|thay cho)\s+(?:cho\s+)?(?:báo cáo|công văn|văn bản)\s*(?:số\s*:?\s*(?P<num>\d{1,5}[A-Za-z]?\s*/\s*[^\W_][\w&\-–.]*))?",
    re.IGNORECASE,
)
# "Báo cáo này thay thế …", "Văn bản này được ban hành thay thế …": the document itself.
_SELF_BEFORE = re.compile(r"(?:báo cáo|văn bản|công văn|bản)\s+này\s+(?:được\s+)?(?:\w+\s+){0,2}$", re.IGNORECASE)
_REPORT_CODE = re.compile(r"/\s*BC(?![A-Za-zÀ-ỹĐđ])", re.IGNORECASE)
# A number or date left blank for the văn thư ("Số:      /BC-SYT", "ngày    tháng 8 năm 2025").
_BLANK_NUMBER = re.compile(r"(?:^|\s)S[ốỐ]\s*:?\s*[.…_ ]*/\s*[A-ZĐ]", re.IGNORECASE)
_BLANK_DATE = re.compile(r"ngày\s*[.…_ ]*\s+tháng\s*(?:\d{1,2}|[.…_ ]+)\s*năm", re.IGNORECASE)
# The kind of document its number's code names: 12/BC-SYT is a report, 12/KH-SYT a plan.
DOC_TYPES = {
    "bc": "bao_cao", "kh": "ke_hoach", "qd": "quyet_dinh", "gm": "giay_moi", "tb": "thong_bao",
    "ttr": "to_trinh", "nd": "nghi_dinh", "ct": "chi_thi", "hd": "huong_dan", "bb": "bien_ban",
}
_TITLE_TYPES = {
    "bao cao": "bao_cao", "ke hoach": "ke_hoach", "quyet dinh": "quyet_dinh", "giay moi": "giay_moi",
    "thong bao": "thong_bao", "to trinh": "to_trinh", "nghi dinh": "nghi_dinh", "chi thi": "chi_thi",
    "huong dan": "huong_dan", "phieu": "phieu", "bieu mau": "bieu_mau", "de cuong": "de_cuong",
}


def find_part_of(lines: Sequence[str]) -> tuple[str | None, str | None]:
    """The number and date of the report an appendix or sheet says it belongs to."""
    for line in lines:
        m = _PART_OF.search(line)
        if m:
            number = re.sub(r"\s+", "", m.group("num")).replace("–", "-").rstrip(".-")
            return number, find_date([line[m.end() :]])
    return None, None


def find_replaces(lines: Sequence[str], later: Sequence[str] = ()) -> tuple[bool, str | None]:
    """Whether the document says it replaces an earlier one, and that one's number. `lines`:
    the title block and opening, where any "thay thế báo cáo …" counts; `later`: the rest of
    the text, where only the document speaking of itself ("Báo cáo này thay thế …") or a
    report's number ("thay thế Báo cáo số 233/BC-…") counts, not a sentence about other papers."""
    for line in lines:
        m = _REPLACES.search(line)
        if m:
            return True, _replaced_number(m)
    for line in later:
        for m in _REPLACES.finditer(line):
            number = m.group("num") or ""
            if _SELF_BEFORE.search(line[: m.start()]) or _REPORT_CODE.search(number):
                return True, _replaced_number(m)
    return False, None


def _replaced_number(m: re.Match[str]) -> str | None:
    number = m.group("num")
    return re.sub(r"\s+", "", number).rstrip(".-") if number else None


def looks_draft(lines: Sequence[str]) -> bool:
    """A number or a date left blank for the văn thư to fill in."""
    return any(_BLANK_NUMBER.search(line) or _BLANK_DATE.search(line) for line in lines)


def doc_type(number: str | None, top: Sequence[str]) -> str:
    """What kind of document this is by its number's code, else by its title line."""
    if number and "/" in number:
        code = fold_words(number.split("/", 1)[1].split("-", 1)[0])
        if code in DOC_TYPES:
            return DOC_TYPES[code]
    for line in top:
        if not _mostly_upper(line):
            continue
        folded = fold_words(line)
        for words, kind in _TITLE_TYPES.items():
            if folded == words or folded.startswith(words + " ") and len(folded.split()) <= 6:
                return kind
    return ""


def match_agency(name: str, agencies: Sequence[AgencySpec], threshold: float = 90.0) -> AgencySpec | None:
    """The recipient an organisation's name (a certificate's O or OU) designates, if any."""
    best, score = _match(name, agencies)
    return best if score >= threshold else None
