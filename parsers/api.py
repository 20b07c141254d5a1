"""The parsers' entry point: detect the format from the bytes, pick the reader from a small
registry, and always return a `ParseResult` (a file's own failure is `result.error`).

`parse_bytes(data, filename, spec)` never raises for anything the file does: damaged,
hostile, too large, scanned or unsupported files come back with `error = ParseError(code,
message)` (message in Vietnamese, saying what to do) and the contract's full shape (every
section and row id present, empty). A `.zip` yields `members` (each a ParseResult); the top
level mirrors its best member (a report over a nil report over anything else).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from xml.parsers.expat import ExpatError

from parsers.detect import detect_format
from parsers.document import Doc
from parsers.errors import (
    ALTCHUNK_MESSAGE,
    CorruptFile,
    EmbeddedHtml,
    EncryptedFile,
    FileUnreadable,
    ParserError,
    ScannedImage,
    ScannedPdf,
    TooLarge,
    UnsafeFile,
    UnsupportedFormat,
)
from parsers.legacy import Converter, to_ooxml
from parsers.model import Indicator, OutlineSpec, ParseError, ParseResult, Problem, SectionText
from parsers.numbers import vn_number
from parsers.safety import (
    DEFAULT_LIMITS,
    Limits,
    check_archive,
    check_member_name,
    check_pdf_streams,
    check_size,
    check_xml_parts,
    check_xml_text,
    open_zip,
    read_member,
)
from parsers.scan import Ocr, OcrFailed

log = logging.getLogger(__name__)

# What we report as `format` for each detected container (RTF is what many ".doc" files are).
FORMAT_NAMES = {
    "rtf": "doc",
    "html": "doc",
    "wordml": "doc",
    "html_excel": "xls",
    "xmlss": "xls",
    "ole_encrypted": "unknown",
    "archive_other": "unknown",
}
_SHEETS = ("xls", "ods", "xmlss")
_OS_REASONS = {errno.ENOENT: "không tồn tại", errno.EISDIR: "là thư mục", errno.EACCES: "không có quyền đọc"}
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
_KIND_RANK = {"report": 2, "nil_report": 1, "not_a_report": 0}


@dataclass(frozen=True)
class _Context:
    filename: str
    spec: OutlineSpec
    limits: Limits
    converter: Converter | None
    depth: int = 0
    ocr: Ocr | None = None
    # Trust roots (PEM/DER) for digital signatures; None: none configured (nothing trusted).
    trust: tuple[bytes, ...] | None = None


Reader = Callable[[bytes, str, _Context], ParseResult]


def parse_bytes(
    data: bytes,
    filename: str,
    spec: OutlineSpec,
    *,
    limits: Limits | None = None,
    converter: Converter | None = None,
    ocr: Ocr | None = None,
    trust: tuple[bytes, ...] | None = None,
) -> ParseResult:
    """Parse one file's bytes against a campaign's outline (never raises for the file's faults).

    Scans (PDF pages without text, image files) are read with `ocr` (Tesseract by default);
    a PDF's digital signatures are checked against the `trust` roots.
    """
    from parsers.columns import campaign_columns  # lazy, like the readers

    ctx = _Context(filename, spec, limits or DEFAULT_LIMITS, converter, ocr=ocr, trust=trust)
    with campaign_columns(spec.columns):
        return _parse(data, ctx)


# The modules each kind of reader imports on first use (kept lazy so that commands which
# never read a file start fast). `load_readers` imports them ahead, e.g. in a process that
# forks one child per file: imported once in the parent, every child has them for free.
_WORD = ("parsers.docx_reader", "docx", "docx.oxml.parser", "parsers.interpret", "parsers.table")
_SHEET = ("parsers.xlsx_reader", "python_calamine", "openpyxl", "parsers.interpret", "parsers.table")
_READER_MODULES = {
    **dict.fromkeys((".docx", ".docm", ".doc", ".odt", ".rtf"), _WORD),
    **dict.fromkeys((".xlsx", ".xlsm", ".xls", ".ods"), _SHEET),
    ".pdf": ("parsers.pdf_reader", "pdfplumber", "parsers.interpret", "parsers.table"),
}


def load_readers(filename: str) -> None:
    """Import what the reader of a file so named will probably need. Only a hint taken from the
    name (the format is still detected from the bytes when the file is parsed; a wrong name
    just means the reader imports its modules itself): nothing of the file is read here."""
    import importlib

    for name in _READER_MODULES.get(Path(filename).suffix.lower(), ()):
        if name not in sys.modules:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)


def parse_path(
    path: str | Path,
    spec: OutlineSpec,
    *,
    limits: Limits | None = None,
    converter: Converter | None = None,
    ocr: Ocr | None = None,
    trust: tuple[bytes, ...] | None = None,
) -> ParseResult:
    """Parse a file on disk (its size is checked before it is read)."""
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= limits.max_file_bytes else b""
    except OSError as err:
        reason = _OS_REASONS.get(err.errno or 0, err.strerror or str(err))
        return _failed(str(path), "unknown", spec, FileUnreadable(f"Không đọc được tệp «{path.name}» ({reason})."))
    if size > limits.max_file_bytes:
        too_large = TooLarge(
            f"Tệp quá lớn ({vn_number(round(size / 1024 / 1024, 1))} MB, tối đa {vn_number(round(limits.max_file_bytes / 1024 / 1024))} MB):"
            " đề nghị đơn vị gửi lại bản nhẹ hơn (bỏ ảnh, hoặc tách tệp)."
        )
        return _failed(str(path), "unknown", spec, too_large, sha256="")
    return parse_bytes(data, str(path), spec, limits=limits, converter=converter, ocr=ocr, trust=trust)


def _parse(data: bytes, ctx: _Context) -> ParseResult:
    sha256 = hashlib.sha256(data).hexdigest()
    detected = "unknown"
    try:
        check_size(data, ctx.limits)
        detected = detect_format(data)
        reader = READERS.get(detected)
        if reader is None:
            raise _unsupported(detected, ctx.filename)
        result = reader(data, detected, ctx)
    except ParserError as err:
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, err)
        result.scanned = isinstance(err, ScannedPdf | ScannedImage | OcrFailed)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:  # damaged container parts
        log.info("damaged container %s: %s", ctx.filename, err)
        corrupt = CorruptFile("Tệp bị hỏng (một phần bên trong không đọc được); đề nghị đơn vị gửi lại.")
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, corrupt)
    except (SyntaxError, ExpatError) as err:  # lxml, ElementTree and expat on a damaged XML part
        log.info("malformed XML in %s: %s", ctx.filename, err)
        corrupt = CorruptFile("Tệp bị hỏng (nội dung bên trong không hợp lệ); đề nghị đơn vị mở và lưu lại rồi gửi lại.")
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, corrupt)
    except MemoryError:  # past the parse's memory cap (flows/intake/budget.py) or the machine's
        log.warning("out of memory reading %s", ctx.filename)
        big = TooLarge(
            "Tệp quá lớn để đọc: cần nhiều bộ nhớ hơn mức cho phép nên đã dừng; cán bộ cần mở tệp kiểm tra"
            " hoặc đề nghị đơn vị gửi lại tệp nhỏ hơn (bỏ ảnh lớn, tách thành nhiều tệp)."
        )
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, big)
    except RecursionError as err:
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, TooLarge(_unexpected(err)))
    except Exception as err:  # a reader's bug must not stop a run: record it, go on
        log.exception("parser failed on %s", ctx.filename)
        result = _failed(ctx.filename, _format_name(detected), ctx.spec, ParserError(_unexpected(err)))
    result.file = ctx.filename
    result.sha256 = sha256
    if result.format == "unknown":
        result.format = _format_name(detected)  # type: ignore[assignment]
    return result


def _format_name(detected: str) -> str:
    return FORMAT_NAMES.get(detected, detected)


def _unsupported(detected: str, filename: str) -> ParserError:
    if detected == "ole_encrypted":
        return EncryptedFile("Tệp có mật khẩu: đề nghị đơn vị gửi bản không đặt mật khẩu.")
    if detected == "image":
        return ScannedImage(
            f"Tệp «{Path(filename).name}» là ảnh chụp/bản quét, không đọc được nội dung: đề nghị đơn vị"
            " gửi kèm bản Word/Excel (hoặc PDF xuất trực tiếp từ Word)."
        )
    if detected == "archive_other":
        return UnsupportedFormat(
            f"Tệp nén «{Path(filename).name}» không phải .zip (RAR/7z/gzip): đề nghị đơn vị nén lại bằng .zip"
            " hoặc gửi trực tiếp các tệp."
        )
    return UnsupportedFormat(
        f"Không đọc được định dạng của tệp «{Path(filename).name}»: đề nghị đơn vị gửi báo cáo"
        " dạng Word (.docx, .doc), Excel (.xlsx, .xls), OpenDocument (.odt) hoặc PDF."
    )


def _unexpected(err: BaseException) -> str:
    return (
        f"Không đọc được tệp do lỗi không lường trước ({type(err).__name__}); cán bộ cần mở tệp"
        " kiểm tra và nhập tay nếu cần."
    )


def _failed(file: str, fmt: str, spec: OutlineSpec, err: ParserError, sha256: str = "") -> ParseResult:
    """The contract's full shape (every id present, empty) with the error set."""
    result = empty_result(file, fmt, spec)
    result.error = ParseError(err.code, err.message)
    result.sha256 = sha256
    return result


def empty_result(file: str, fmt: str, spec: OutlineSpec) -> ParseResult:
    """A result with every section and row id present and empty."""
    return ParseResult(
        file=file,
        format=fmt,  # type: ignore[arg-type]
        sections={s.id: SectionText() for s in spec.sections},
        indicators={r.id: Indicator(label=r.label) for r in spec.rows},
    )


# --- readers -------------------------------------------------------------------------------


def _ooxml(data: bytes, fmt: str, ctx: _Context, shown_as: str | None = None) -> ParseResult:
    """docx/xlsx: container checks first (sizes, ratios, no DTD), then the reader."""
    with open_zip(data) as archive:
        check_archive(archive, ctx.limits, names_matter=False)
        check_xml_parts(archive, ctx.limits)
        embedded = [i for i in archive.infolist() if _is_embedded_sheet(i.filename)] if fmt == "docx" else []
        alt_chunk = fmt == "docx" and _has_alt_chunk(archive, ctx.limits)
    if fmt == "docx":
        from parsers.docx_reader import read_docx

        doc = read_docx(data)
        if _text_chars(doc) < 40:  # a Word file that is only a pasted scan: read its pictures
            pages, total = _pasted_scans(data, ctx)
            if pages:
                return _scan(pages, total, shown_as or fmt, ctx)
            if alt_chunk:  # its whole text is HTML the reader skips: not an empty document
                raise EmbeddedHtml(ALTCHUNK_MESSAGE)
    else:
        doc = _sheet_doc(data, "xlsx")
    result = interpret_doc(doc, ctx.spec, file=ctx.filename, fmt=shown_as or fmt)
    if alt_chunk:  # some text besides: read what there is, and say a part was not
        result.problems.append(Problem("altchunk_html", ALTCHUNK_MESSAGE))
    if embedded and result.kind == "report" and _filled(result) == 0:
        _table_from_embedded(result, data, embedded, ctx)
    return result


def _text_chars(doc: Doc) -> int:
    from parsers.document import Table

    return sum(len(b.text) if not isinstance(b, Table) else sum(len(c) for r in b.rows for c in r) for b in doc.blocks)


# A picture smaller than this is a logo or a seal, not a scanned page.
_MIN_SCAN_BYTES = 20_000


def _pasted_scans(data: bytes, ctx: _Context) -> tuple[list, int]:
    """The page images pasted into a Word file (word/media), in name order, within the caps."""
    from parsers.scan import image_pages

    limits = _ocr(ctx).limits
    pages: list = []
    total = 0
    with open_zip(data) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.filename.startswith("word/media/") or info.file_size < _MIN_SCAN_BYTES:
                continue
            image = read_member(archive, info, ctx.limits)
            if detect_format(image) != "image":
                continue
            found, count = image_pages(image, limits)
            total += count
            pages += found[: max(0, limits.max_pages - len(pages))]
    return pages, total


def _sheet_doc(data: bytes, fmt: str) -> Doc:
    """A workbook read by python-calamine when its values say everything, else by openpyxl
    (legacy-font text, percent formats, bold headings of a report written in cells)."""
    from parsers.xlsx_reader import calamine_suits, read_calamine, read_xlsx

    doc = read_calamine(data) if calamine_suits(data, fmt) else None
    return doc if doc is not None else read_xlsx(data)


_ALT_CHUNK_REL = b"/relationships/aFChunk"


def _has_alt_chunk(archive: zipfile.ZipFile, limits: Limits) -> bool:
    """The main document embeds a part (HTML, RTF, another .docx) by `w:altChunk`."""
    try:
        info = archive.getinfo("word/_rels/document.xml.rels")
    except KeyError:
        return False
    return _ALT_CHUNK_REL in read_member(archive, info, limits)


def _is_embedded_sheet(name: str) -> bool:
    return name.startswith("word/embeddings/") and name.lower().endswith((".xlsx", ".xlsm", ".xls", ".bin"))


def _table_from_embedded(result: ParseResult, data: bytes, infos: list[zipfile.ZipInfo], ctx: _Context) -> None:
    """The table pasted into Word as an Excel object (Word shows only a picture of it): read
    the embedded workbook when the document itself has no table values."""
    from parsers.table import read_indicators
    from parsers.xlsx_reader import read_xlsx

    with open_zip(data) as archive:
        for info in infos:
            inner = read_member(archive, info, ctx.limits)
            kind = detect_format(inner)
            try:
                if kind == "xls":
                    inner, kind = to_ooxml(inner, "xls", ctx.converter), "xlsx"
                if kind != "xlsx":
                    continue
                with open_zip(inner) as sheet:
                    check_archive(sheet, ctx.limits, names_matter=False)
                    check_xml_parts(sheet, ctx.limits)
                reading = read_indicators(read_xlsx(inner).tables, ctx.spec.rows)
            except ParserError as err:
                log.info("embedded workbook %s of %s unreadable: %s", info.filename, ctx.filename, err)
                continue
            if reading.found and any(i.plan is not None or i.result is not None for i in reading.indicators.values()):
                at = f"bảng Excel nhúng «{info.filename.rsplit('/', 1)[-1]}»"
                def inside(where: str, at: str = at) -> str:
                    return f"{at}, {where}"

                result.indicators = {k: _relocated(v, inside) for k, v in reading.indicators.items()}
                result.extra_rows = [replace(r, where=f"{at}, {r.where}") for r in reading.extra_rows]
                result.problems = [p for p in result.problems if p.code not in _TABLE_CODES] + reading.problems
                from parsers.interpret import confidence, coverage

                result.coverage = coverage(result)
                result.confidence = confidence(result)
                return


def _pdf(data: bytes, fmt: str, ctx: _Context) -> ParseResult:
    from parsers.pdf_reader import read_pdf

    check_pdf_streams(data, ctx.limits)
    try:
        doc = read_pdf(data)
    except ScannedPdf:
        from parsers.scan import pdf_pages

        pages, total = pdf_pages(data, _ocr(ctx).limits)
        result = _scan(pages, total, "pdf", ctx)
    else:
        result = interpret_doc(doc, ctx.spec, file=ctx.filename, fmt="pdf")
    _signed(result, data, ctx)
    return result


def _signed(result: ParseResult, data: bytes, ctx: _Context) -> None:
    """The PDF's digital signatures, checked, into the result (attribution and problems)."""
    from parsers.signatures import apply_signatures, has_signatures, read_signatures

    if has_signatures(data):
        facts = read_signatures(data, list(ctx.trust) if ctx.trust is not None else None)
        if facts:
            apply_signatures(result, facts, ctx.spec.agencies)


def _image(data: bytes, fmt: str, ctx: _Context) -> ParseResult:
    """A photo or scan sent as an image file (JPEG/PNG/TIFF…): OCR."""
    from parsers.scan import image_pages

    pages, total = image_pages(data, _ocr(ctx).limits)
    return _scan(pages, total, "image", ctx)


def _ocr(ctx: _Context) -> Ocr:
    from parsers.scan import TesseractOcr

    return ctx.ocr or TesseractOcr()


def _scan(pages: list, total: int, fmt: str, ctx: _Context) -> ParseResult:
    """OCR the pages, read them like a text PDF, then give each value its OCR confidence."""
    from parsers.scan import apply_confidence, read_scan

    reading = read_scan(pages, total, _ocr(ctx))
    result = interpret_doc(reading.doc, ctx.spec, file=ctx.filename, fmt=fmt)
    result.scanned = True
    apply_confidence(result, reading)
    return result


def _legacy(data: bytes, fmt: str, ctx: _Context) -> ParseResult:
    """.doc/.rtf/.odt → .docx and .xls/.ods → .xlsx with LibreOffice, then as OOXML."""
    if fmt in ("odt", "ods"):
        with open_zip(data) as archive:
            check_archive(archive, ctx.limits, names_matter=False)
            check_xml_parts(archive, ctx.limits)
    if fmt in ("html", "wordml", "html_excel", "xmlss"):
        check_xml_text(data, ctx.filename)
    if fmt == "ods":
        from parsers.xlsx_reader import calamine_suits, read_calamine

        fast = read_calamine(data) if calamine_suits(data, "ods") else None
        if fast is not None:  # no LibreOffice round trip: calamine reads .ods itself
            return interpret_doc(fast, ctx.spec, file=ctx.filename, fmt="ods")
    converted = to_ooxml(data, fmt, ctx.converter)
    target = "xlsx" if fmt in _SHEETS else "docx"
    return _ooxml(converted, target, ctx, shown_as=_format_name(fmt))


def _zip(data: bytes, fmt: str, ctx: _Context) -> ParseResult:
    """Each member parsed on its own; the top level mirrors the best member."""
    if ctx.depth >= ctx.limits.max_depth:
        raise UnsafeFile("Tệp nén lồng nhau quá nhiều tầng: đề nghị đơn vị gửi trực tiếp các tệp báo cáo.")
    members: list[ParseResult] = []
    with open_zip(data) as archive:
        check_archive(archive, ctx.limits, names_matter=True)
        for info in archive.infolist():
            name = _member_name(info)
            if info.is_dir() or _is_junk(name):
                continue
            check_member_name(name)
            member_data = read_member(archive, info, ctx.limits)
            members.append(_parse(member_data, replace(ctx, filename=name, depth=ctx.depth + 1)))
    if not members:
        raise UnsupportedFormat("Tệp nén không chứa tệp nào: đề nghị đơn vị gửi lại báo cáo.")
    return _mirror_best(members, ctx)


def _member_name(info: zipfile.ZipInfo) -> str:
    """Member names NFC; names from zips without the UTF-8 flag re-decoded when they are UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return unicodedata.normalize("NFC", name)


def _is_junk(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith(_JUNK[0]) or base in _JUNK or base.startswith("~$") or base.startswith("._")


def _mirror_best(members: list[ParseResult], ctx: _Context) -> ParseResult:
    result = combine(members, ctx.filename, ctx.spec)
    result.format = "zip"
    result.members = members
    return result


def combine(results: list[ParseResult], file: str, spec: OutlineSpec) -> ParseResult:
    """One answer from several files of one submission (a zip's members, a mail's attachments).

    The best file (readable; report over nil report over anything else; most content) gives
    kind, agency, number, date, sections; when it has no table values and another readable
    report-like file does (the table only in an Excel appendix), the table comes from that one.
    """

    def rank(m: ParseResult) -> tuple[bool, int, int]:
        return (m.error is None, _KIND_RANK.get(m.kind, 0), len(m.answered_sections) + _filled(m))

    result = empty_result(file, "unknown", spec)
    readable = [m for m in results if m.error is None]
    if not readable:
        result.problems.append(Problem("no_readable_file", "Không có tệp nào đọc được.", file))
        return result
    best = max(readable, key=rank)
    for name in (
        "format", "kind", "agency", "doc_number", "doc_date", "sections", "extra_text", "closing", "groups", "evidence",
        "says_replaces", "replaces_number", "part_of", "part_of_date", "identity_where", "draft",
    ):
        setattr(result, name, getattr(best, name))
    result.indicators, result.extra_rows = _table_of(best, located=len(results) > 1)
    result.problems = _located(best)
    appendix = max((m for m in readable if m is not best and m.kind != "not_a_report"), key=_filled, default=None)
    if best.kind == "report" and _filled(best) == 0 and appendix is not None and _filled(appendix):
        result.indicators, result.extra_rows = _table_of(appendix, located=True)
        result.problems = [p for p in result.problems if p.code not in _TABLE_CODES]
        result.problems += [p for p in _located(appendix) if p.code in _TABLE_CODES]
    from parsers.interpret import confidence, coverage

    result.coverage = coverage(result)
    result.confidence = confidence(result)
    return result


_TABLE_CODES = {
    "table_missing", "row_missing", "hidden_row_missing", "rate_computed", "rate_inconsistent",
    "number_unreadable", "number_ambiguous", "number_several", "number_scaled", "count_not_integer", "row_duplicate",
    "column_unexplained", "column_from_data", "column_role_missing", "results_missing", "total_mismatch",
    "number_approximate", "unit_converted", "unit_mismatch", "table_transposed", "table_from_text", "plan_missing",
}


def _table_of(m: ParseResult, *, located: bool) -> tuple[dict[str, Indicator], list]:
    """A result's indicators and extra rows, their `where` prefixed with the file name."""
    if not located:
        return m.indicators, m.extra_rows
    def at(where: str) -> str:
        return f"{m.file}: {where}" if where else ""
    indicators = {k: _relocated(v, lambda w: f"{m.file}: {w}") for k, v in m.indicators.items()}
    return indicators, [replace(r, where=at(r.where)) for r in m.extra_rows]


def _relocated(ind: Indicator, prefix: Callable[[str], str]) -> Indicator:
    """An indicator with its `where` (and each value's) prefixed by the file or the object."""
    values = {r: replace(v, where=prefix(v.where) if v.where else "") for r, v in ind.values.items()}
    return replace(ind, where=prefix(ind.where) if ind.where else "", values=values)


def _filled(m: ParseResult) -> int:
    return sum(1 for i in m.indicators.values() if i.plan is not None or i.result is not None)


def _located(m: ParseResult) -> list[Problem]:
    return [replace(p, where=f"{m.file}: {p.where}" if p.where else m.file) for p in m.problems]


def interpret_doc(doc: Doc, spec: OutlineSpec, *, file: str, fmt: str) -> ParseResult:
    """The outline matcher (parsers.interpret); a table-only fallback until it exists."""
    try:
        from parsers.interpret import interpret
    except ImportError:
        return _table_only(doc, spec, file=file, fmt=fmt)
    return interpret(doc, spec, file=file, fmt=fmt)


def _table_only(doc: Doc, spec: OutlineSpec, *, file: str, fmt: str) -> ParseResult:
    from parsers.table import read_indicators

    result = empty_result(file, fmt, spec)
    reading = read_indicators(doc.tables, spec.rows)
    result.indicators, result.extra_rows = reading.indicators, reading.extra_rows
    result.problems.extend(reading.problems)
    result.kind = "report" if reading.found else "not_a_report"
    return result


READERS: dict[str, Reader] = {
    "docx": _ooxml,
    "xlsx": _ooxml,
    "pdf": _pdf,
    "doc": _legacy,
    "rtf": _legacy,
    "html": _legacy,
    "wordml": _legacy,
    "html_excel": _legacy,
    "xmlss": _legacy,
    "odt": _legacy,
    "xls": _legacy,
    "ods": _legacy,
    "zip": _zip,
    "image": _image,
}


def parse_text(text: str, spec: OutlineSpec, *, file: str = "nội dung thư") -> ParseResult:
    """Plain text (a report typed in a mail's body) read against the outline, one paragraph
    per non-empty line."""
    from parsers.document import Para
    from parsers.interpret import interpret

    doc = Doc(blocks=[Para(line.strip()) for line in text.splitlines() if line.strip()])
    return interpret(doc, spec, file=file, fmt="text")
