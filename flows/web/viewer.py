"""Showing a stored file in the browser: PDF and images as they are, Word/Excel/ODF rendered
to PDF by LibreOffice (private profile per conversion), cached by content hash in the data dir."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flows.errors import FlowsError
from parsers.detect import detect_format
from parsers.errors import ParserError
from parsers.legacy import LibreOfficeConverter

log = logging.getLogger(__name__)
TO_PDF = {"docx", "xlsx", "doc", "xls", "odt", "ods", "rtf"}
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
_lock = threading.Lock()  # one LibreOffice at a time: the machine has few cores


class NotViewable(FlowsError):
    """This file cannot be shown in the browser (it can still be downloaded)."""


def view(data: bytes, sha256: str, cache_dir: Path) -> tuple[bytes, str]:
    """(bytes, media type) to show inline for a stored file."""
    fmt = detect_format(data)
    if fmt == "pdf":
        return data, "application/pdf"
    if fmt == "image":
        for magic, media in IMAGE_TYPES.items():
            if data.startswith(magic):
                return data, media
        raise NotViewable("định dạng ảnh này không xem trực tiếp được, hãy tải về")
    if fmt in TO_PDF:
        return _cached_pdf(data, fmt, sha256, cache_dir), "application/pdf"
    if data[:200].lstrip().lower().startswith((b"return-path", b"received", b"from", b"message-id", b"mime", b"date", b"delivered")):
        return data, "text/plain; charset=utf-8"
    raise NotViewable("không xem trực tiếp được tệp này, hãy tải về")


def _cached_pdf(data: bytes, fmt: str, sha256: str, cache_dir: Path) -> bytes:
    target = cache_dir / f"{sha256}.pdf"
    if target.exists():
        return target.read_bytes()

    with _lock:
        if target.exists():
            return target.read_bytes()
        try:
            pdf = LibreOfficeConverter(timeout=90).convert(data, fmt, "pdf")
        except ParserError as err:
            raise NotViewable(str(err)) from err
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(pdf)
        tmp.replace(target)
    return pdf
