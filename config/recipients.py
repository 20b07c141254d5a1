"""Recipient lists: imported from CSV or XLSX (columns as in recipients.csv)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.errors import ConfigError

COLUMNS = ("ma_don_vi", "ten_don_vi", "nhom", "email", "ten_khac")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Recipient(BaseModel):
    """An agency the request was sent to."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    group: str = ""
    emails: tuple[str, ...] = Field(default_factory=tuple)
    aliases: tuple[str, ...] = Field(default_factory=tuple)


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def _split(value: object) -> tuple[str, ...]:
    return tuple(p for p in (_clean(x) for x in re.split(r"[;\n]", _clean(value))) if p)


def recipients_from_rows(rows: list[dict[str, object]], source: Path | str) -> list[Recipient]:
    """Validate raw rows (header → value); errors name the file, the line and the field."""
    result: list[Recipient] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        row = {_clean(k).lower(): v for k, v in row.items() if k is not None}
        if not any(_clean(v) for v in row.values()):
            continue
        code = _clean(row.get("ma_don_vi")).lower()
        name = _clean(row.get("ten_don_vi"))
        if not code or not CODE_RE.match(code):
            raise ConfigError(f"mã đơn vị không hợp lệ: {code!r}", source, index, "ma_don_vi")
        if not name:
            raise ConfigError("thiếu tên đơn vị", source, index, "ten_don_vi")
        if code in seen:
            raise ConfigError(
                f"mã đơn vị {code!r} bị trùng (đã có ở dòng {seen[code]})", source, index, "ma_don_vi"
            )
        seen[code] = index
        emails = tuple(e.lower() for e in _split(row.get("email")))
        for email in emails:
            if not EMAIL_RE.match(email):
                raise ConfigError(f"địa chỉ email không hợp lệ: {email!r}", source, index, "email")
        result.append(
            Recipient(
                code=code,
                name=name,
                group=_clean(row.get("nhom")),
                emails=emails,
                aliases=_split(row.get("ten_khac")),
            )
        )
    return result


def _check_header(header: list[str], source: Path) -> None:
    missing = [c for c in ("ma_don_vi", "ten_don_vi", "email") if c not in header]
    if missing:
        raise ConfigError(f"thiếu cột: {', '.join(missing)} (cần {', '.join(COLUMNS)})", source, 1)


def read_csv(path: Path) -> list[Recipient]:
    """Read a recipient list from CSV (UTF-8, with or without BOM)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"không đọc được danh sách đơn vị: {err}", path) from err
    reader = csv.DictReader(io.StringIO(text))
    _check_header([_clean(h).lower() for h in reader.fieldnames or []], path)
    return recipients_from_rows(list(reader), path)


def read_xlsx(path: Path) -> list[Recipient]:
    """Read a recipient list from the first sheet of an XLSX workbook."""
    try:
        from openpyxl import load_workbook  # lazy: only .xlsx lists need it (start-up time)

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise ConfigError(f"không mở được tệp Excel: {err}", path) from err
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise ConfigError("trang tính trống", path, 1)
    header = [_clean(h).lower() for h in rows[0]]
    _check_header(header, path)
    return recipients_from_rows([dict(zip(header, r, strict=False)) for r in rows[1:]], path)


def read_recipients(path: Path) -> list[Recipient]:
    """Read a recipient list, CSV or XLSX by extension."""
    if not path.exists():
        raise ConfigError("không tìm thấy danh sách đơn vị", path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return read_xlsx(path)
    return read_csv(path)
