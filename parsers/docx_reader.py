"""Word (.docx) → `Doc`: paragraphs and tables in body order, as a person sees them.

python-docx opens the package and parses the XML (entities are not resolved); the text itself
is walked with lxml because the things that matter here are below python-docx's API:
tracked changes (`w:ins` counts, `w:del`/`w:moveFrom` never), content controls (a placeholder
still showing is no answer), field codes (`w:instrText` is never text), automatic numbering
(the label lives in numbering.xml), style-inherited bold, legacy TCVN3/VNI fonts, merged cells.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from parsers import vnlegacy
from parsers.document import Doc, Para, Table
from parsers.docx_styles import StyleSheet, open_document, raw_styles, style_sheet
from parsers.errors import CorruptFile, ParserError
from parsers.textnorm import clean, clean_lines

log = logging.getLogger(__name__)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W = f"{{{W_NS}}}"
NSMAP = {"w": W_NS, "mc": MC_NS}
FOOTNOTES_RELTYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
)
ENDNOTES_RELTYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
# A note's reference mark in the body → (the note's part, its element).
_NOTE_REFS = {W + "footnoteReference": "footnote", W + "endnoteReference": "endnote"}
_NOTE_PARTS = {"footnote": FOOTNOTES_RELTYPE, "endnote": ENDNOTES_RELTYPE}
_NOTE_SEPARATORS = {"separator", "continuationSeparator", "continuationNotice"}

# Elements whose whole subtree is never text a reader sees.
_SKIP = {
    W + "del",
    W + "moveFrom",
    W + "delText",
    W + "instrText",
    W + "delInstrText",
    W + "rPr",
    W + "pPr",
    W + "sdtPr",
    W + "sdtEndPr",
    W + "footnoteReference",
    W + "endnoteReference",
    W + "commentReference",
    W + "annotationRef",
    f"{{{MC_NS}}}Fallback",
}
_TEXTBOX = W + "txbxContent"
# Tags compared on every run and cell (built once, not per comparison).
_P, _R, _T, _TBL, _TR, _TC, _SDT = (W + t for t in ("p", "r", "t", "tbl", "tr", "tc", "sdt"))
_PPR, _RPR, _TRPR, _TCPR = (W + t for t in ("pPr", "rPr", "trPr", "tcPr"))
_SDT_CONTENT, _FLD_SIMPLE = W + "sdtContent", W + "fldSimple"
_ALTERNATE, _CHOICE = f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice"
_TABS, _BREAKS = {W + "tab", W + "ptab"}, {W + "br", W + "cr"}
_NO_BREAK_HYPHEN, _SOFT_HYPHEN, _SYM = W + "noBreakHyphen", W + "softHyphen", W + "sym"
# A run's non-text children that stand for characters. The soft hyphen is invisible in Unicode
# text (clean() drops it) but it is "ư" in TCVN3 (0xAD).
_RUN_CHARS = {
    **dict.fromkeys(_TABS, "\t"), **dict.fromkeys(_BREAKS, "\n"),
    _NO_BREAK_HYPHEN: "-", _SOFT_HYPHEN: "\u00ad", _SYM: "",
}
_BLOCK_WRAPPERS = {W + "customXml", W + "ins", W + "moveTo", W + "smartTag"}
_CELL_WRAPPERS = {W + "customXml", W + "ins", W + "moveTo"}
_NOT_INLINE = {_P, _TBL, _TEXTBOX}
# Run properties the reader uses; LibreOffice writes an (often empty) w:rPr on every run.
_RSTYLE, _BOLD, _RFONTS, _CAPS, _VANISH = (W + t for t in ("rStyle", "b", "rFonts", "caps", "vanish"))
_PSTYLE, _NUMPR, _OUTLINE, _DEL = W + "pStyle", W + "numPr", W + "outlineLvl", W + "del"
_GRID_SPAN, _VMERGE, _TC_BORDERS = W + "gridSpan", W + "vMerge", W + "tcBorders"
_FALSE = {"0", "false", "off", "none"}
# styles.xml is searched in libxml2, not walked in Python: LibreOffice writes hundreds of
# styles (350 KB) and a document uses a handful. A style without an id counts as id "".
# (The plainer the predicate, the faster libxml2 goes: a non-empty id is looked up without
# the "" case, and the few styles marked default are told apart in Python.)
_STYLE_BY_ID = etree.XPath("w:style[@w:styleId = $sid]", namespaces=NSMAP)
_STYLE_BY_EMPTY_ID = etree.XPath('w:style[@w:styleId = "" or not(@w:styleId)]', namespaces=NSMAP)
_DEFAULT_STYLES = etree.XPath("w:style[@w:default]", namespaces=NSMAP)
_RT_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def read_docx(data: bytes) -> Doc:
    """Read a .docx into a `Doc`; raises `CorruptFile` for a damaged or truncated package."""
    document = _open(data)
    try:
        return _Reader(document).read()
    except ParserError:
        raise
    except (etree.LxmlError, KeyError, ValueError, AttributeError, IndexError) as err:
        raise CorruptFile(f"Tệp Word bị lỗi cấu trúc, không đọc được nội dung ({err}).") from err


def _open(data: bytes):  # -> docx.document.Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return open_document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, EOFError) as err:
        raise CorruptFile(
            "Tệp Word (.docx) bị hỏng hoặc không trọn vẹn (có thể do tải về chưa xong); "
            "đề nghị đơn vị gửi lại tệp."
        ) from err
    except (etree.LxmlError, ValueError, zipfile.LargeZipFile, OSError) as err:
        raise CorruptFile(f"Tệp Word (.docx) không đọc được: {err}.") from err


def _on(el: etree._Element | None) -> bool | None:
    """Value of a Word on/off property element (`<w:b/>`, `<w:b w:val="0"/>`), None if absent."""
    if el is None:
        return None
    return el.get(W + "val", "true").lower() not in _FALSE


@dataclass
class _Legacy:
    """Text of a run in a legacy font, still to be decoded."""

    text: str
    font: str
    caps: bool = False


# What Word and LibreOffice print for a cross-reference whose target was deleted.
_BROKEN_FIELD = re.compile(
    r"\s*(?:Error[!:] Reference source not found|Lỗi! Không tìm thấy nguồn tham chiếu)\.?", re.IGNORECASE
)


def _tab_cells(text: str) -> tuple[str, ...]:
    """A line's text split at its tab stops (trailing empty cells dropped); () for fewer than
    two filled cells."""
    cells = [clean(c) for c in text.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    while cells and not cells[0]:
        cells.pop(0)
    return tuple(cells) if sum(1 for c in cells if c) >= 2 else ()


def _join(pieces: list) -> str:
    """Concatenate run texts, decoding adjacent runs in the same legacy font together."""
    out: list[str] = []
    pending: list[_Legacy] = []

    def flush() -> None:
        if pending:
            text = vnlegacy.convert_run("".join(x.text for x in pending), pending[0].font)
            out.append(text.upper() if pending[0].caps else text)
            pending.clear()

    for piece in pieces:
        if isinstance(piece, _Legacy):
            if pending and (pending[0].font != piece.font or pending[0].caps != piece.caps):
                flush()
            pending.append(piece)
        else:
            flush()
            out.append(piece)
    flush()
    text = "".join(out)
    # Either message has "! " or ": " in it: only then is the (case-insensitive, slow) pattern run.
    return _BROKEN_FIELD.sub("", text) if "! " in text or ": " in text else text


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    bold: bool | None = None
    font: str | None = None
    num_id: str | None = None
    ilvl: int | None = None
    outline_level: int | None = None
    borders: bool | None = None
    kind: str = "paragraph"


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restart: int | None = None
    legal: bool = False
    custom: str = ""  # Word 2010 custom format ("a, b, c, d, đ, e, …")


@dataclass
class _Numbering:
    """numbering.xml: num → abstractNum levels, and running counters as paragraphs go by."""

    abstract_of: dict[str, str] = field(default_factory=dict)
    # abstractNum elements, parsed into `levels` on first use (LibreOffice writes many unused).
    definitions: dict[str, etree._Element] = field(default_factory=dict)
    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)
    level_overrides: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    started_nums: set[str] = field(default_factory=set)

    def label(self, num_id: str, ilvl: int) -> str:
        """Advance the counters for a numbered paragraph and return the label Word shows."""
        abstract = self.abstract_of.get(num_id)
        if abstract is None or num_id == "0":
            return ""
        levels = dict(self._levels_of(abstract))
        levels.update(self.level_overrides.get(num_id, {}))
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started_nums:
            self.started_nums.add(num_id)
            for lvl, start in self.overrides.get(num_id, {}).items():
                counters[lvl] = start - 1
                for deeper in [k for k in counters if k > lvl]:
                    del counters[deeper]
        level = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            restart = levels.get(deeper, _Level()).restart
            if restart is None or restart > ilvl:
                del counters[deeper]
        return self._render(level, levels, counters)

    def _levels_of(self, abstract: str) -> dict[int, _Level]:
        if abstract not in self.levels:
            an = self.definitions.get(abstract)
            self.levels[abstract] = (
                {} if an is None else {_int(lvl.get(W + "ilvl"), 0): _level(lvl) for lvl in an.iterfind(W + "lvl")}
            )
        return self.levels[abstract]

    @staticmethod
    def _render(level: _Level, levels: dict[int, _Level], counters: dict[int, int]) -> str:
        if level.fmt in {"none", "bullet"} and "%" not in level.text:
            # A fixed text per level: a bullet glyph, or a literal label someone typed into
            # the list definition to get Vietnamese letters ("đ)").
            literal = clean(level.text)
            return literal if re.fullmatch(r"[A-Za-zĐđ0-9]{1,3}[\.\)/:]?", literal) else (
                "" if level.fmt == "none" else "•"
            )
        text = level.text
        for n in range(9, 0, -1):
            token = f"%{n}"
            if token in text:
                lvl = levels.get(n - 1, _Level())
                value = counters.get(n - 1, lvl.start)
                fmt = "decimal" if level.legal else lvl.fmt
                shown = _custom(value, lvl.custom) if fmt == "custom" else format_number(value, fmt)
                text = text.replace(token, shown)
        return clean(text)


_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def format_number(value: int, fmt: str) -> str:
    """A list counter in one of Word's number formats (decimal, lowerLetter, upperRoman…)."""
    if fmt in {"lowerLetter", "upperLetter"}:
        # Word repeats the letter after z: aa, bb …
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1) if value > 0 else ""
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in {"lowerRoman", "upperRoman"}:
        out, rest = "", max(value, 0)
        for number, numeral in _ROMAN:
            while rest >= number:
                out, rest = out + numeral, rest - number
        return out.upper() if fmt == "upperRoman" else out
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in {"bullet", "none"}:
        return ""
    return str(value)


_MOTTO = re.compile(r"C[ỘO]NG H[ÒO]A X[ÃA] H[ỘO]I", re.IGNORECASE)
_NUMBER_LINE = re.compile(r"S[ốỐ]\s*:?\s*\d+\s*/")


def _block_text(block: Para | Table) -> str:
    if isinstance(block, Para):
        return block.text
    return " ".join(cell for row in block.rows for cell in row)


class _Reader:
    def __init__(self, document) -> None:  # noqa: ANN001 - python-docx Document
        self.document = document
        self.styles: dict[str, _Style] = {}
        self._styles_root: etree._Element | None = None
        self._sheet: StyleSheet | None = None  # styles.xml's bytes, its styles parsed one by one
        self._style_elements: dict[str, etree._Element | None] = {}
        self.default_para_style: str | None = None
        self.default_bold: bool = False
        self.default_font: str | None = None
        self.numbering = _Numbering()
        self._cache_bold: dict[tuple[str | None, str | None], bool] = {}
        self._cache_font: dict[tuple[str | None, str | None], str | None] = {}
        self.n_para = 0
        self.n_table = 0
        # Note marks seen since the last block was emitted: (footnote|endnote, id).
        self.note_refs: list[tuple[str, str]] = []

    # ---- set-up: styles and numbering -------------------------------------------------
    def _load_styles(self) -> None:
        try:
            part = self.document.part.part_related_by(_RT_STYLES)
        except KeyError:
            part = None  # python-docx's own default styles, as `document.part.styles` gives
        raw = raw_styles(part)
        self._sheet = style_sheet(raw) if raw is not None else None
        try:
            root = self._sheet.defaults_root() if self._sheet is not None else self.document.part.styles.element
        except (KeyError, AttributeError, NotImplementedError):
            return
        rpr = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        if rpr is not None:
            self.default_bold = bool(_on(rpr.find(W + "b")))
            self.default_font = _font_of(rpr)
        if self._sheet is None:
            self._styles_root = root
        # The last default paragraph style wins, as when every style was read in order.
        defaults = [
            st
            for st in _DEFAULT_STYLES(root)
            if st.get(W + "default") in {"1", "true"} and st.get(W + "type") in {None, "paragraph"}
        ]
        if defaults:
            self.default_para_style = defaults[-1].get(W + "styleId") or ""

    def _style(self, sid: str) -> _Style | None:
        """A style, parsed on first use (LibreOffice writes hundreds nobody uses)."""
        if sid in self.styles:
            return self.styles[sid]
        if sid not in self._style_elements:
            if self._sheet is not None:
                self._style_elements[sid] = self._sheet.style(sid)
            else:
                root = self._styles_root
                found = [] if root is None else _STYLE_BY_ID(root, sid=sid) if sid else _STYLE_BY_EMPTY_ID(root)
                self._style_elements[sid] = found[-1] if found else None  # the last of a duplicated id
        st = self._style_elements[sid]
        if st is None:
            return None
        style = _Style(kind=st.get(W + "type", "paragraph"))
        name = st.find(W + "name")
        style.name = name.get(W + "val", "") if name is not None else sid
        based = st.find(W + "basedOn")
        style.based_on = based.get(W + "val") if based is not None else None
        srpr = st.find(W + "rPr")
        if srpr is not None:
            style.bold = _on(srpr.find(W + "b"))
            style.font = _font_of(srpr)
        ppr = st.find(W + "pPr")
        if ppr is not None:
            num = ppr.find(W + "numPr")
            if num is not None:
                nid, lvl = num.find(W + "numId"), num.find(W + "ilvl")
                style.num_id = nid.get(W + "val") if nid is not None else None
                style.ilvl = _int(lvl.get(W + "val"), 0) if lvl is not None else 0
            ol = ppr.find(W + "outlineLvl")
            if ol is not None:
                style.outline_level = _int(ol.get(W + "val"), 9)
        tpr = st.find(W + "tblPr")
        if tpr is not None and tpr.find(W + "tblBorders") is not None:
            style.borders = _has_borders(tpr.find(W + "tblBorders"))
        self.styles[sid] = style
        return style

    def _load_numbering(self) -> None:
        try:
            root = self.document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for an in root.iterfind(W + "abstractNum"):
            self.numbering.definitions[an.get(W + "abstractNumId") or ""] = an
        for num in root.iterfind(W + "num"):
            nid = num.get(W + "numId") or ""
            aref = num.find(W + "abstractNumId")
            if aref is None:
                continue
            self.numbering.abstract_of[nid] = aref.get(W + "val") or ""
            for ov in num.iterfind(W + "lvlOverride"):
                ilvl = _int(ov.get(W + "ilvl"), 0)
                start = ov.find(W + "startOverride")
                if start is not None:
                    self.numbering.overrides.setdefault(nid, {})[ilvl] = _int(start.get(W + "val"), 1, limit=100_000)
                lvl = ov.find(W + "lvl")
                if lvl is not None:
                    self.numbering.level_overrides.setdefault(nid, {})[ilvl] = _level(lvl)

    def _chain(self, sid: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while sid and sid not in seen:
            style = self._style(sid)
            if style is None:
                return
            seen.add(sid)
            yield style
            sid = style.based_on

    def _style_bold(self, rstyle: str | None, pstyle: str | None) -> bool:
        key = (rstyle, pstyle)
        if key not in self._cache_bold:
            value: bool | None = None
            for sid in (rstyle, pstyle):
                for st in self._chain(sid):
                    if st.bold is not None:
                        value = st.bold
                        break
                if value is not None:
                    break
            self._cache_bold[key] = self.default_bold if value is None else value
        return self._cache_bold[key]

    def _style_font(self, rstyle: str | None, pstyle: str | None) -> str | None:
        key = (rstyle, pstyle)
        if key not in self._cache_font:
            value: str | None = None
            for sid in (rstyle, pstyle):
                value = next((st.font for st in self._chain(sid) if st.font), None)
                if value:
                    break
            self._cache_font[key] = value or self.default_font
        return self._cache_font[key]

    # ---- the body ---------------------------------------------------------------------
    def read(self) -> Doc:
        self._load_styles()
        self._load_numbering()
        notes = self._notes()
        doc = Doc()
        doc.blocks.extend(self._letterhead_in_page_header())
        self.note_refs.clear()
        body = self.document.element.body
        for block in self._blocks(body):
            doc.blocks.append(block)
            if self.note_refs:
                # A note goes with the block carrying its mark, so it lands in that section;
                # after a heading it would pass for the section's answer: kept aside instead.
                texts = [t for ref in self.note_refs if (t := notes.pop(ref, ""))]
                if _looks_like_heading(block):
                    doc.footnotes.extend(texts)
                else:
                    doc.blocks.extend(_note_paras(texts))
                self.note_refs.clear()
        # Notes whose mark was not seen (a mark in a text box, a hidden run) are kept at the end.
        doc.blocks.extend(_note_paras(list(notes.values())))
        return doc

    def _letterhead_in_page_header(self) -> list[Para | Table]:
        """The first page's header when it holds the letterhead (some offices' templates put
        "SỞ …" / "Số: …" / the motto there); page numbers and running titles are not read."""
        try:
            section = self.document.sections[0]
            header = section.first_page_header if section.different_first_page_header_footer else section.header
            if header.is_linked_to_previous:
                return []
            element = header._element
        except (IndexError, KeyError, AttributeError, NotImplementedError):
            return []
        blocks = list(self._blocks(element))
        self.n_para = self.n_table = 0  # the body's "đoạn N" / "bảng N" count from its own start
        text = " ".join(_block_text(b) for b in blocks)
        if not (_MOTTO.search(text) or _NUMBER_LINE.search(text)):
            return []
        for b in blocks:
            b.where = "đầu trang"
        return blocks

    def _blocks(self, container: etree._Element) -> Iterator[Para | Table]:
        for child in container:
            tag = child.tag
            if tag == _P:
                yield from self._paragraph_blocks(child)
            elif tag == _TBL:
                yield from self._table(child)
            elif tag == _SDT:
                if _is_placeholder(child):
                    continue
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    yield from self._blocks(content)
            elif tag in _BLOCK_WRAPPERS:
                yield from self._blocks(child)
            elif tag == _ALTERNATE:
                choice = child.find(_CHOICE)
                if choice is not None:
                    yield from self._blocks(choice)

    def _paragraph_blocks(self, p: etree._Element) -> Iterator[Para | Table]:
        # Text boxes anchored in the paragraph come first: they are usually the header block.
        for box in p.iter(_TEXTBOX):
            if _inside_fallback(box, p):
                continue
            yield from self._blocks(box)
        para = self._paragraph(p)
        if para is not None:
            yield para

    def _paragraph(self, p: etree._Element) -> Para | None:
        props = _paragraph_properties(p)
        pstyle = None
        num_id: str | None = None
        ilvl: int | None = None
        outline_level: int | None = None
        if props.style is not None:
            pstyle = props.style.get(W + "val")
        if props.numbering is not None:
            nid, lvl = props.numbering.find(W + "numId"), props.numbering.find(W + "ilvl")
            num_id = nid.get(W + "val") if nid is not None else None
            ilvl = _int(lvl.get(W + "val"), 0) if lvl is not None else None
        if props.outline is not None:
            outline_level = _int(props.outline.get(W + "val"), 9)
        pstyle = pstyle or self.default_para_style
        style = self._style(pstyle or "") or _Style()
        for st in self._chain(pstyle):
            if num_id is None and st.num_id is not None:
                num_id, ilvl = st.num_id, ilvl if ilvl is not None else st.ilvl
            if outline_level is None and st.outline_level is not None:
                outline_level = st.outline_level
        pieces: list = []
        bold_flags: list[bool] = []
        self._collect(p, pstyle, pieces, bold_flags)
        joined = _join(pieces)
        text = clean(joined)
        cells = _tab_cells(joined) if "\t" in joined else ()
        label = ""
        if num_id is not None and ilvl is not None and not props.mark_deleted:
            label = self.numbering.label(num_id, ilvl)
        if not text:
            return None
        self.n_para += 1
        name = style.name
        if outline_level is not None and outline_level < 9 and not name.lower().startswith("heading"):
            name = f"{name} (outline {outline_level + 1})" if name else f"Heading {outline_level + 1}"
        return Para(
            text=text,
            style=name,
            bold=bool(bold_flags) and all(bold_flags),
            numbering=label,
            where=f"đoạn {self.n_para}",
            cells=cells,
        )

    def _collect(
        self, el: etree._Element, pstyle: str | None, pieces: list[str | _Legacy], bold: list[bool]
    ) -> None:
        """Append the visible text under `el` (a paragraph or an inline container)."""
        for child in el:
            tag = child.tag
            if tag in _SKIP or not isinstance(tag, str):
                continue
            if tag == _R:
                self._run(child, pstyle, pieces, bold)
            elif tag == _SDT:
                if not _is_placeholder(child):
                    content = child.find(_SDT_CONTENT)
                    if content is not None:
                        self._collect(content, pstyle, pieces, bold)
            elif tag == _FLD_SIMPLE:
                self._collect(child, pstyle, pieces, bold)
            elif tag == _ALTERNATE:
                continue  # drawings and text boxes: text boxes were emitted as blocks
            elif tag in _NOT_INLINE:
                continue
            else:  # hyperlink, ins, moveTo, smartTag, customXml, …
                self._collect(child, pstyle, pieces, bold)

    def _run(self, r: etree._Element, pstyle: str | None, pieces: list[str | _Legacy], bold: list[bool]) -> None:
        # One pass over the run's children: its text, and its (first) w:rPr on the way.
        rpr: etree._Element | None = None
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == _T:
                parts.append(child.text or "")
            elif tag == _RPR:
                if rpr is None:
                    rpr = child
            elif tag in _RUN_CHARS:
                parts.append(_RUN_CHARS[tag])
            elif tag in _NOTE_REFS:
                self.note_refs.append((_NOTE_REFS[tag], child.get(W + "id") or ""))
        rstyle = None
        run_bold: bool | None = None
        font: str | None = None
        caps = False
        if rpr is not None and len(rpr):
            props = _children_by_tag(rpr)
            if _on(props.get(_VANISH)):
                return  # hidden text
            rs = props.get(_RSTYLE)
            rstyle = rs.get(W + "val") if rs is not None else None
            run_bold = _on(props.get(_BOLD))
            font = _font_value(props.get(_RFONTS))
            caps = bool(_on(props.get(_CAPS)))
        text = "".join(parts)
        if not text:
            return
        font = font or self._style_font(rstyle, pstyle)
        encoding = vnlegacy.font_encoding(font)
        if encoding is not None:
            # Legacy text is decoded per paragraph, not per run: a VNI letter is two
            # characters and Word may cut a run between them.
            pieces.append(_Legacy(text, font or "", caps))
        else:
            pieces.append(text.upper() if caps else text)
        if text.strip():
            bold.append(run_bold if run_bold is not None else self._style_bold(rstyle, pstyle))

    # ---- tables -------------------------------------------------------------------------
    def _table(self, tbl: etree._Element) -> Iterator[Table]:
        self.n_table += 1
        where = f"bảng {self.n_table}"
        rows: list[list[str]] = []
        nested: list[etree._Element] = []
        above: dict[int, str] = {}
        for tr in _rows(tbl):
            trpr = _children_by_tag(_first(tr, _TRPR))
            if _DEL in trpr:
                continue
            row: list[str] = []
            before = trpr.get(W + "gridBefore")
            if before is not None:
                row.extend([""] * _int(before.get(W + "val"), 0))
            for tc in _cells(tr):
                tcpr = _children_by_tag(_first(tc, _TCPR))
                gs, vm = tcpr.get(_GRID_SPAN), tcpr.get(_VMERGE)
                span = max(1, _int(gs.get(W + "val"), 1)) if gs is not None else 1
                vmerge = vm.get(W + "val", "continue") if vm is not None else None
                col = len(row)
                text = above.get(col, "") if vmerge == "continue" else self._cell_text(tc, nested)
                for k in range(span):
                    row.append(text)
                    above[col + k] = text
            rows.append(row)
        borderless = self._borderless(tbl)
        yield Table(rows=rows, where=where, borderless=borderless)
        for inner in nested:
            yield from self._table(inner)

    def _cell_text(self, tc: etree._Element, nested: list[etree._Element]) -> str:
        return "\n".join(self._cell_blocks(tc, nested))

    def _cell_blocks(self, container: etree._Element, nested: list[etree._Element]) -> Iterator[str]:
        for child in container:
            tag = child.tag
            if tag == _P:
                props = _paragraph_properties(child)
                pieces: list = []
                self._collect(child, self._pstyle(props), pieces, [])
                text = clean_lines(_join(pieces))
                label = self._cell_label(props)
                if text:
                    yield f"{label} {text}".strip() if label else text
            elif tag == _TBL:
                nested.append(child)
            elif tag == _SDT:
                if not _is_placeholder(child):
                    content = child.find(_SDT_CONTENT)
                    if content is not None:
                        yield from self._cell_blocks(content, nested)
            elif tag in _CELL_WRAPPERS:
                yield from self._cell_blocks(child, nested)

    def _cell_label(self, props: _ParagraphProperties) -> str:
        """Auto-numbering inside a table cell (the "TT" column is often a numbered list)."""
        num = props.numbering
        if num is None:
            return ""
        nid, lvl = num.find(W + "numId"), num.find(W + "ilvl")
        if nid is None:
            return ""
        label = self.numbering.label(nid.get(W + "val") or "0", _int(lvl.get(W + "val"), 0) if lvl is not None else 0)
        return "" if label == "•" else label

    def _pstyle(self, props: _ParagraphProperties) -> str | None:
        ps = props.style
        return ps.get(W + "val") if ps is not None else self.default_para_style

    def _borderless(self, tbl: etree._Element) -> bool:
        tblpr = tbl.find(W + "tblPr")
        if tblpr is not None:
            borders = tblpr.find(W + "tblBorders")
            if borders is not None:
                explicit = _has_borders(borders)
                if explicit:
                    return False
                if not _cells_have_borders(tbl):
                    return True
            ts = tblpr.find(W + "tblStyle")
            sid = ts.get(W + "val") if ts is not None else None
            for st in self._chain(sid):
                if st.borders is not None:
                    return not st.borders and not _cells_have_borders(tbl)
        return not _cells_have_borders(tbl)

    # ---- footnotes and endnotes ------------------------------------------------------------
    def _notes(self) -> dict[tuple[str, str], str]:
        """The text of every footnote and endnote by (kind, id), in document order."""
        from docx.oxml.parser import parse_xml

        notes: dict[tuple[str, str], str] = {}
        rels = self.document.part.rels.values()
        for kind, reltype in _NOTE_PARTS.items():
            for rel in rels:
                if rel.reltype != reltype or rel.is_external:
                    continue
                root = parse_xml(rel.target_part.blob)
                for note in root.iterfind(W + kind):
                    if note.get(W + "type") in _NOTE_SEPARATORS:
                        continue
                    text = self._note_text(note)
                    if text:
                        notes[(kind, note.get(W + "id") or "")] = text
        self.note_refs.clear()  # marks inside the notes themselves are not the body's
        return notes

    def _note_text(self, note: etree._Element) -> str:
        texts = []
        for p in note.iter(_P):
            pieces: list = []
            self._collect(p, self._pstyle(_paragraph_properties(p)), pieces, [])
            texts.append(clean(_join(pieces)))
        return clean(" ".join(t for t in texts if t))


def _looks_like_heading(block: Para | Table) -> bool:
    """A bold or heading-styled paragraph: maybe an outline heading (the reader cannot tell)."""
    if not isinstance(block, Para):
        return False
    style = block.style.lower()
    return block.bold or style.startswith("heading") or "(outline" in style


def _note_paras(texts: list[str]) -> list[Para]:
    """Paragraphs for notes, read as ordinary text of the section they follow."""
    return [Para(text=f"(chú thích: {t})", where="chú thích") for t in texts if t]


def _rows(tbl: etree._Element) -> Iterator[etree._Element]:
    """The w:tr of a table, including those wrapped in content controls (a repeating
    section, CT_SdtRow) or custom XML; a control still showing its placeholder is skipped
    as in the body."""
    for child in tbl:
        tag = child.tag
        if tag == _TR:
            yield child
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None and not _is_placeholder(child):
                yield from _rows(content)
        elif tag in _CELL_WRAPPERS:  # customXml, ins, moveTo
            yield from _rows(child)


def _cells(tr: etree._Element) -> Iterator[etree._Element]:
    """The w:tc of a row, including those wrapped in content controls or custom XML."""
    for child in tr:
        if child.tag == W + "tc":
            yield child
        elif child.tag in {W + "sdt", W + "customXml"}:
            inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if inner is not None:
                yield from _cells(inner)


def _custom(value: int, pattern: str) -> str:
    """A value in a custom sequence ("a, b, c, d, đ, e, …" → the value-th item; else decimal)."""
    items = [x.strip() for x in pattern.split(",") if x.strip() and x.strip() not in {"...", "…"}]
    if len(items) >= 2 and 0 < value <= len(items):
        return items[value - 1]
    return str(value)


def _level(lvl: etree._Element) -> _Level:
    def val(tag: str, default: str) -> str:
        el = lvl.find(W + tag)
        return el.get(W + "val", default) if el is not None else default

    fmt_el = lvl.find(W + "numFmt")
    custom = ""
    if fmt_el is None:  # Word 2010+ wraps custom formats in mc:AlternateContent
        choice = lvl.find(f"{{{MC_NS}}}AlternateContent/{{{MC_NS}}}Choice/{W}numFmt")
        if choice is not None and choice.get(W + "val") == "custom":
            fmt_el, custom = choice, choice.get(W + "format", "")
        else:
            fmt_el = lvl.find(f"{{{MC_NS}}}AlternateContent/{{{MC_NS}}}Fallback/{W}numFmt")
    elif fmt_el.get(W + "val") == "custom":
        custom = fmt_el.get(W + "format", "")
    fmt = fmt_el.get(W + "val", "decimal") if fmt_el is not None else "decimal"
    restart = lvl.find(W + "lvlRestart")
    return _Level(
        start=_int(val("start", "1"), 1, limit=100_000),
        fmt=fmt,
        text=val("lvlText", ""),
        restart=_int(restart.get(W + "val"), 0) if restart is not None else None,
        legal=lvl.find(W + "isLgl") is not None,
        custom=custom,
    )


def _int(value: str | None, default: int, *, limit: int = 64) -> int:
    """A small integer attribute; junk or absurd values fall back (a gridSpan of 10⁹ is no table)."""
    try:
        number = int(float(value)) if value is not None else default
    except ValueError:
        return default
    return number if 0 <= number <= limit else default


def _font_of(rpr: etree._Element) -> str | None:
    return _font_value(rpr.find(_RFONTS))


def _font_value(fonts: etree._Element | None) -> str | None:
    if fonts is None:
        return None
    return fonts.get(W + "ascii") or fonts.get(W + "hAnsi") or fonts.get(W + "cs")


def _first(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag. w:pPr, w:rPr, w:trPr and w:tcPr come first in their
    parent, so looking at child 0 usually answers without a search; else the children are
    searched in libxml2 (`iterchildren(tag)`: find() goes through ElementPath's Python)."""
    if len(el):
        head = el[0]
        if head.tag == tag:
            return head
    return next(el.iterchildren(tag), None)


def _children_by_tag(el: etree._Element | None) -> dict[str, etree._Element]:
    """A properties element's children by tag, the first of each (one pass over the children
    instead of a find() per property: LibreOffice writes properties on every run and cell)."""
    found: dict[str, etree._Element] = {}
    if el is not None:
        for child in el:
            found.setdefault(child.tag, child)
    return found


class _ParagraphProperties(NamedTuple):
    """What the reader uses from a paragraph's w:pPr."""

    style: etree._Element | None  # w:pStyle
    numbering: etree._Element | None  # w:numPr
    outline: etree._Element | None  # w:outlineLvl
    mark_deleted: bool  # w:rPr/w:del: the paragraph mark was deleted in tracked changes


def _paragraph_properties(p: etree._Element) -> _ParagraphProperties:
    """The paragraph's first w:pPr, read in one pass over its children."""
    props = _children_by_tag(_first(p, _PPR))
    mark = props.get(_RPR)
    return _ParagraphProperties(
        style=props.get(_PSTYLE),
        numbering=props.get(_NUMPR),
        outline=props.get(_OUTLINE),
        mark_deleted=mark is not None and len(mark) > 0 and mark.find(_DEL) is not None,
    )


def _has_borders(borders: etree._Element | None) -> bool:
    if borders is None:
        return False
    for side in borders:
        if side.get(W + "val", "none") not in {"none", "nil"} and side.get(W + "sz", "1") != "0":
            return True
    return False


# The cells' own borders, searched in libxml2 (ElementPath's iterfind walks every row and cell
# in Python: ~40× slower on a 60-cell table, and a table whose cells have none is walked whole).
_CELL_BORDERS = etree.XPath("w:tr/w:tc/w:tcPr/w:tcBorders", namespaces=NSMAP)


def _cells_have_borders(tbl: etree._Element) -> bool:
    if any(_has_borders(b) for b in _CELL_BORDERS(tbl)):
        return True
    # Rows wrapped in a content control or custom XML (rare: only then is the table walked again).
    wrapped = [child for child in tbl if child.tag == _SDT or child.tag in _CELL_WRAPPERS]
    return any(_has_borders(b) for el in wrapped for b in el.iter(_TC_BORDERS))


def _is_placeholder(sdt: etree._Element) -> bool:
    pr = sdt.find(W + "sdtPr")
    return pr is not None and _on(pr.find(W + "showingPlcHdr")) is True


def _inside_fallback(el: etree._Element, stop: etree._Element) -> bool:
    node = el.getparent()
    while node is not None and node is not stop:
        if node.tag == f"{{{MC_NS}}}Fallback":
            return True
        node = node.getparent()
    return False
