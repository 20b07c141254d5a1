"""Limits for hostile files: sizes, zip bombs, unsafe member paths, XML entity attacks.

Everything is checked *before* a reader inflates anything: the file size, then a container's
central directory (member count, declared sizes, compression ratios, names), then the prolog
of every XML part (no DTD may appear in OOXML or ODF: a `<!DOCTYPE`/`<!ENTITY` there is an
entity attack). Python's zipfile never returns more than a member's declared size (it checks
the CRC), so declared sizes are a hard cap; `read_member` still streams with a cap.
defusedxml is installed: openpyxl uses it by itself, python-docx parses with
`resolve_entities=False`, and `install_defusedxml()` guards the stdlib parsers of the process.
"""

from __future__ import annotations

import io
import re
import resource
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from parsers.errors import CorruptFile, EncryptedFile, TooLarge, UnsafeFile
from parsers.numbers import vn_number

MB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_XML_PARTS = (".xml", ".rels", ".vml")
_PROLOG_BYTES = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")


@dataclass(frozen=True)
class Limits:
    """What a single file may cost."""

    max_file_bytes: int = 50 * MB
    max_members: int = 2000
    max_total_uncompressed: int = 250 * MB
    max_member_bytes: int = 150 * MB
    # Compression ratio above which a member is a bomb (only for members above ratio_floor).
    max_ratio: float = 200.0
    ratio_floor: int = 2 * MB
    max_depth: int = 2
    # One XML part of a document (a sheet, the body): a report's are well under 1 MB.
    max_xml_part_bytes: int = 25 * MB


DEFAULT_LIMITS = Limits()


def check_size(data: bytes, limits: Limits) -> None:
    """Reject a file over the size limit before anything reads it."""
    if len(data) > limits.max_file_bytes:
        raise TooLarge(
            f"Tệp quá lớn ({vn_number(round(len(data) / MB, 1))} MB, tối đa {vn_number(round(limits.max_file_bytes / MB))} MB):"
            " đề nghị đơn vị gửi lại bản nhẹ hơn (bỏ ảnh, hoặc tách tệp)."
        )


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip container, or CorruptFile if its directory cannot be read (truncated file)."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as err:
        raise CorruptFile(
            "Tệp bị hỏng hoặc không đầy đủ (tải về bị ngắt?): không đọc được; đề nghị đơn vị gửi lại."
        ) from err


def check_archive(archive: zipfile.ZipFile, limits: Limits, *, names_matter: bool = True) -> None:
    """Member count, declared sizes, ratios, encryption and (for plain archives) member paths."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeFile(f"Tệp nén có quá nhiều thành phần ({len(infos)}, tối đa {limits.max_members}).")
    total = 0
    for info in infos:
        if names_matter:
            check_member_name(info.filename)
        if info.flag_bits & 0x1:
            raise EncryptedFile(
                f"Tệp «{info.filename}» có mật khẩu: đề nghị đơn vị gửi bản không đặt mật khẩu."
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeFile(
                f"Tệp nén bất thường (tỷ lệ nén {info.file_size / max(info.compress_size, 1):.0f}:1 ở"
                f" «{info.filename}», nghi «bom nén»): không mở."
            )
        if info.file_size > limits.max_member_bytes:
            raise TooLarge(f"Thành phần «{info.filename}» quá lớn khi giải nén ({info.file_size / MB:.0f} MB).")
        total += info.file_size
    if total > limits.max_total_uncompressed:
        raise UnsafeFile(
            f"Tệp nén giải nén ra {total / MB:.0f} MB (tối đa {limits.max_total_uncompressed / MB:.0f} MB): không mở."
        )


def check_member_name(name: str) -> None:
    """Reject absolute paths, drive letters, `..` components and NUL in a member name."""
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise UnsafeFile(f"Tệp nén chứa đường dẫn không an toàn «{name}»: không mở.")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A member's bytes, streamed with a cap at its declared size (and the member limit)."""
    cap = min(info.file_size, limits.max_member_bytes)
    out = io.BytesIO()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(256 * 1024):
                if out.tell() + len(chunk) > cap:
                    raise UnsafeFile(f"Thành phần «{info.filename}» lớn hơn kích thước khai báo: không mở.")
                out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as err:
        raise CorruptFile(f"Thành phần «{info.filename}» trong tệp nén bị hỏng.") from err
    return out.getvalue()


def check_xml_parts(archive: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> None:
    """No DTD in any XML part of an OOXML/ODF container (entity expansion attacks), and no
    part too large to be a report's (a sheet of a million rows)."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(_XML_PARTS) or info.file_size == 0:
            continue
        if info.file_size > limits.max_xml_part_bytes:
            raise TooLarge(
                f"Nội dung tệp quá lớn («{info.filename}» {info.file_size / MB:.0f} MB khi giải nén):"
                " không giống một báo cáo; đề nghị đơn vị gửi bản gọn hơn."
            )
        try:
            with archive.open(info) as stream:
                head = stream.read(_PROLOG_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as err:
            raise CorruptFile(f"Tệp bị hỏng (phần «{info.filename}» không đọc được); đề nghị đơn vị gửi lại.") from err
        _check_prolog(head, info.filename)


def check_xml_text(data: bytes, name: str) -> None:
    """A markup file converted by LibreOffice (Word 2003 XML, HTML): no entity declarations."""
    upper = data[:_PROLOG_BYTES].upper()
    if b"<!ENTITY" in upper:
        raise UnsafeFile(f"Tệp chứa khai báo thực thể XML (ENTITY) ở «{name}», có thể là tấn công: không mở.")


def _check_prolog(head: bytes, name: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "replace").encode("utf-8")
    root = _ROOT_START.search(head)
    if root is None and len(head) >= _PROLOG_BYTES:
        raise UnsafeFile(f"Phần «{name}» của tệp có phần mở đầu XML bất thường: không mở.")
    prolog = head[: root.start()] if root else head
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise UnsafeFile(f"Tệp chứa khai báo thực thể XML (DOCTYPE/ENTITY) ở «{name}», có thể là tấn công: không mở.")


def check_pdf_streams(data: bytes, limits: Limits) -> None:
    """Inflate every Flate stream of a PDF with a running cap before pdfminer inflates them
    without one (a PDF can hide a 'bomb' in a content or object stream)."""
    budget = limits.max_total_uncompressed
    for match in _PDF_STREAM.finditer(data):
        start = match.end()
        head = data[max(0, match.start() - 1024) : match.start()]
        header = head[max(head.rfind(b"obj"), 0) :]
        if b"FlateDecode" not in header or b"/Image" in header:
            continue  # not compressed, or an image (text extraction never inflates those)
        end = data.find(b"endstream", start)
        inflater = zlib.decompressobj()
        chunk = data[start : end if end != -1 else len(data)]
        try:
            out = inflater.decompress(chunk, budget + 1)
        except zlib.error:
            continue  # pdfminer will say what is wrong with it
        budget -= len(out)
        if budget < 0 or inflater.unconsumed_tail:
            raise UnsafeFile(
                f"Tệp PDF giải nén ra hơn {limits.max_total_uncompressed / MB:.0f} MB (nghi «bom nén»): không mở."
            )


_PDF_STREAM = re.compile(rb"stream\r?\n")


def install_defusedxml() -> None:
    """Make the stdlib XML parsers of this process refuse entity tricks (idempotent)."""
    import defusedxml

    if not getattr(install_defusedxml, "_done", False):
        defusedxml.defuse_stdlib()
        install_defusedxml._done = True  # type: ignore[attr-defined]


# The soft RLIMIT_AS this process had before a parse's memory cap (`remember_tool_limit`):
# what the external tools get back. None: no cap was set here.
_tool_soft: int | None = None


def remember_tool_limit(soft: int) -> None:
    """Called by the memory cap (flows/intake/budget.py) with the soft limit it replaces."""
    global _tool_soft
    _tool_soft = soft


def tool_preexec() -> Callable[[], None] | None:
    """For `subprocess.Popen(preexec_fn=…)` of an external tool (LibreOffice, Tesseract): when
    this process runs under a parse's memory cap (flows/intake/budget.py lowers RLIMIT_AS's
    soft limit in a parse's child), the tool gets back the soft limit from before the cap — the
    cap is the parser's, LibreOffice alone maps more than a gigabyte, and an operator's own
    limit (`ulimit -Sv`) stays. None when no cap was set (no preexec_fn: threads stay safe)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if _tool_soft is None or soft == _tool_soft:
        return None
    return partial(resource.setrlimit, resource.RLIMIT_AS, (_tool_soft, hard))
