"""Errors of the parsers: one root, typed subclasses, each with a stable code and a Vietnamese message.

Readers raise these; `parsers.api.parse_bytes` catches them per file and turns them into
`ParseResult.error` (code, message) so a file's own failure never crashes a run.
"""

from __future__ import annotations


class ParserError(Exception):
    """Root of every parser error; `code` is stable, the message says what to do (Vietnamese)."""

    code = "parse_failed"

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


class CorruptFile(ParserError):
    """The bytes are damaged or truncated."""

    code = "corrupt_file"


class UnsafeFile(ParserError):
    """The file tries something hostile (zip bomb, path traversal, XML entities)."""

    code = "unsafe_file"


class UnsupportedFormat(ParserError):
    """A format we do not read."""

    code = "unsupported_format"


class ConversionFailed(ParserError):
    """LibreOffice could not convert a legacy file (or is not installed)."""

    code = "conversion_failed"


class TooLarge(ParserError):
    """The file (or what it inflates to) is over the configured limits."""

    code = "too_large"


class ScannedPdf(ParserError):
    """A PDF with no text layer (a scan)."""

    code = "scanned_pdf"


class EncryptedFile(ParserError):
    """A password-protected file."""

    code = "encrypted_file"


class EmbeddedHtml(UnsupportedFormat):
    """A Word file whose body is HTML embedded as a `w:altChunk` (web editors, some mail
    merges): Word shows it, the reader does not."""

    code = "altchunk_html"


ALTCHUNK_MESSAGE = (
    "Tệp Word chứa nội dung nhúng dạng HTML (altChunk), hệ thống chưa đọc được phần này; "
    "đề nghị mở tệp bằng Word và lưu lại thành tệp .docx mới (Save As) rồi gửi lại."
)


class ScannedImage(UnsupportedFormat):
    """A photo or scan sent as an image file."""

    code = "scanned_image"


class FileUnreadable(ParserError):
    """The path cannot be read (missing, a folder, no permission)."""

    code = "file_unreadable"
