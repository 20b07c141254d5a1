"""The format of a file from its bytes, never from its name or the mail's Content-Type."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import Literal

Detected = Literal[
    "docx", "xlsx", "doc", "xls", "odt", "ods", "rtf", "pdf", "zip", "html", "wordml", "html_excel", "xmlss",
    "ole_encrypted", "image", "archive_other", "unknown",
]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_IMAGES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")
_OTHER_ARCHIVES = (b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}


def detect_format(data: bytes) -> Detected:
    """docx/xlsx/odt/ods/doc/xls/rtf/pdf/zip from magic bytes and container contents."""
    head = data[:1024]
    if head.startswith(_ZIP):
        return _zip_kind(data)
    if head.startswith(_OLE2):
        return _ole_kind(data)
    if b"%PDF-" in head:
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if text.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGES):
        return "image"
    if head.startswith(_OTHER_ARCHIVES):
        return "archive_other"
    lower = text[:4096].lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lower or b'progid="excel.sheet"' in lower:
        return "xmlss"  # Excel 2003 XML
    if b"urn:schemas-microsoft-com:office:excel" in lower and b"<html" in lower:
        return "html_excel"  # a web page saved with an .xls name (exports of many web systems)
    if b"<w:worddocument" in lower or b'progid="word.document"' in lower:
        return "wordml"  # Word 2003 XML
    if lower.startswith((b"<html", b"<!doctype html")) or (lower.startswith(b"<?xml") and b"<html" in lower):
        return "html"  # a web page saved with a .doc name (Word's "Web Page" format)
    return "unknown"


def _zip_kind(data: bytes) -> Detected:
    """A zip container: OOXML by its parts, ODF by `mimetype`, else a plain archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 200:
                    kind = _ODF.get(archive.read(info).decode("ascii", "replace").strip())
                    if kind:
                        return kind  # type: ignore[return-value]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        # A damaged container: guess from the local headers so the error names the format.
        names = _local_names(data)
    return _by_parts(names)


def _local_names(data: bytes, limit: int = 2000) -> set[str]:
    """Member names from the local file headers (a truncated zip has no central directory)."""
    names: set[str] = set()
    for match in re.finditer(rb"PK\x03\x04", data):
        start = match.start()
        if len(names) >= limit or start + 30 > len(data):
            break
        (length,) = struct.unpack_from("<H", data, start + 26)
        names.add(data[start + 30 : start + 30 + length].decode("cp437"))
    return names


def _by_parts(names: set[str]) -> Detected:
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return "docx"
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "content.xml" in names and "META-INF/manifest.xml" in names:
        return "odt"
    return "zip"


def _ole_kind(data: bytes) -> Detected:
    """OLE2 compound file: Word has a `WordDocument` stream, Excel a `Workbook`/`Book` one.

    Stream names sit in the directory sectors as UTF-16LE; searching for them is enough to
    tell the two apart (olefile would parse the directory, at the cost of a dependency).
    """
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage"):
        return "ole_encrypted"  # a password-protected docx/xlsx
    if has("WordDocument"):
        return "doc"
    if has("Workbook") or has("Book"):
        return "xls"
    return "unknown"
