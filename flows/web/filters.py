"""Jinja2 filters and globals of the web pages: dates in the page's campaign's zone, numbers the
Vietnamese way (1.234,5), Vietnamese labels of states and timeline entries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from config.campaign import Campaign
from flows.app import App
from flows.history import entry_label
from flows.intake.mailfile import RECEIVED_FROM
from flows.web.workspace import CHANNEL_LABELS, slot_label
from parsers import numbers
from parsers.vocab import FAILED_FILE_LABEL, FILES_TO_CHECK_LABEL, ReviewKind, display_id
from reports.consolidate import place_words, vn_rate
from reports.status import ANSWERED_WORDS, STATE_LABELS, STATE_SHORT, counts_sentence

OUT_STATUS = {"sent": "Đã gửi", "pending": "Chờ gửi", "failed": "Lỗi, sẽ thử lại", "sending": "Không rõ (cần kiểm tra)"}
SUB_STATUS = {"valid": "bản đang dùng để tổng hợp", "superseded": "đã có bản thay thế"}
ATTRIBUTION = {"thread": "theo luồng thư", "sender": "theo địa chỉ gửi", "document": "theo nội dung tệp",
               "folder": "theo thư mục", "review": "do cán bộ gán", "forward": "thư chuyển tiếp",
               "text": "theo nội dung thư", "tag": "theo thẻ [tên đơn vị] ở tiêu đề",
               "name": "theo tên thư mục / tệp", "domain": "theo tên miền thư",
               "submission": "báo cáo đã ghi nhận"}


def vn_number(value: Any, digits: int | None = None) -> str:
    """The project's one number formatter, with '–' for no value."""
    try:
        return numbers.vn_number(value, digits, blank="–")
    except (TypeError, ValueError):
        return str(value)


def rate(value: Any) -> str:
    """A rate as the report prints it (72,0%), '–' for none."""
    try:
        return vn_rate(value) or "–"
    except (TypeError, ValueError):
        return str(value)


def figure(value: Any, column: str) -> str:
    """A table figure as the report prints it: counts 1.250, the rate column 72,0%."""
    return rate(value) if column == "rate" else vn_number(value)


def install(env: Environment, app: App) -> None:
    """Register the filters and globals on a Jinja2 environment."""

    def tz(context: Context) -> dt.tzinfo:
        """How times are shown: in the zone of the page's campaign — the zone its forms read
        times in (flows/web/app.py `_moment`) — and BAOCAO_TIMEZONE only on a page of none."""
        chosen = context.get("chosen")
        return chosen.tz if isinstance(chosen, Campaign) else ZoneInfo(app.settings.timezone)

    @pass_context
    def when(context: Context, value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = value.astimezone(tz(context)) if value.tzinfo else value
        return value.strftime(fmt)

    @pass_context
    def day(context: Context, value: Any) -> str:
        return when(context, value, "%d/%m/%Y")

    def evidence(value: Any) -> str:
        parts = value.split("+") if isinstance(value, str) else list(value or [])
        return ", ".join(ATTRIBUTION.get(p, p) for p in parts)

    def source(value: Any) -> str:
        kind, _, number = str(value or "").partition(":")
        number = number.split(":", 1)[0]  # problem:<submission>:<hash>
        names = {"mail": "thư số", "file": "tệp số", "document": "tài liệu số", "problem": "số liệu của báo cáo"}
        return f"{names[kind]} {number}" if kind in names and number else place_words(str(value or ""))

    def slot(value: Any) -> str:
        name, at, _ = str(value or "").partition("@")
        return slot_label(name) if at else ""

    def section_ids(value: Any) -> str:
        """Outline ids as the đề cương writes them ('2.2.dd' → '2.2.đ'), one or a list."""
        if isinstance(value, (list, tuple)):
            return ", ".join(display_id(v) for v in value)
        return display_id(str(value or ""))

    def cell_text(value: Any) -> str:
        """The text of a cell as read, or '(ô trống)' for an empty one."""
        text = str(value if value is not None else "").strip()
        return f"«{text}»" if text else "(ô trống)"

    env.filters.update(luot=slot, nguon=source, ngay=when, ngay_ngan=day, so=vn_number, so_cot=figure, ty_le=rate,
                       muc=entry_label, can_cu=evidence,
                       ma_muc=section_ids, chu_o=cell_text)
    env.globals.update(STATE_LABELS=STATE_LABELS, STATE_SHORT=STATE_SHORT, OUT_STATUS=OUT_STATUS,
                       CHANNEL_LABELS=CHANNEL_LABELS, SUB_STATUS=SUB_STATUS, ATTRIBUTION=ATTRIBUTION,
                       REVIEW_KINDS=ReviewKind.labels(), FAILED_FILE_LABEL=FAILED_FILE_LABEL,
                       FILES_TO_CHECK_LABEL=FILES_TO_CHECK_LABEL, ANSWERED_WORDS=ANSWERED_WORDS,
                       counts_sentence=counts_sentence, RECEIVED_FROM=RECEIVED_FROM)
