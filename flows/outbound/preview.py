"""`--preview DIR`: the exact mails as .eml files plus a rendered HTML copy, nothing sent.

Each .eml holds the bytes `deliver` would send (same builder, same header encoding); only
the Message-ID (given at sending) and the Date differ. The HTML copy is made by reading that
.eml back, so it shows what a mail client will show (decoded subject and sender).
"""

from __future__ import annotations

import datetime as dt
import email
import html
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.settings import SmtpSettings
from flows.outbound.delivery import MAIL_TZ, Draft, build_message, with_reply_token
from flows.outbound.mailheaders import OUTBOUND
from parsers.mailids import make_message_id
from parsers.numbers import vn_number

PLACEHOLDER_SENDER = "chua-cau-hinh-nguoi-gui@baocao.invalid"


def write_preview(
    drafts: Sequence[tuple[str, Draft]], smtp: SmtpSettings, directory: Path, now: dt.datetime
) -> list[dict[str, Any]]:
    """Write `<n>-<code>.eml` and `.html` per (recipient code, draft) and an index.html."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"không tạo được thư mục xem trước: {err.strerror}", directory) from err
    if not smtp.sender:
        smtp = smtp.model_copy(update={"sender": PLACEHOLDER_SENDER})
    written: list[dict[str, Any]] = []
    for number, (code, draft) in enumerate(drafts, start=1):
        stem = f"{number:03d}-{code or 'thu'}-{draft.kind}"
        raw = build_message(with_reply_token(draft, code, smtp), make_message_id(draft.kind, smtp.sender), smtp, now).as_bytes(
            policy=OUTBOUND
        )
        (directory / f"{stem}.eml").write_bytes(raw)
        (directory / f"{stem}.html").write_text(render_html(raw), encoding="utf-8")
        written.append({"recipient": code, "kind": draft.kind, "slot": draft.slot, "to": list(draft.to),
                        "subject": draft.subject, "eml": f"{stem}.eml", "html": f"{stem}.html"})
    (directory / "index.html").write_text(_index(written, now), encoding="utf-8")
    return written


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "pre{white-space:pre-wrap;font-family:inherit}th{text-align:left;padding-right:1rem}</style>"
        f"</head><body>{body}</body></html>\n"
    )


def render_html(raw: bytes) -> str:
    """One mail as a page: decoded headers, the text, the attachments (name and size)."""
    msg: EmailMessage = email.message_from_bytes(raw, policy=default_policy)  # type: ignore[assignment]
    rows = "".join(
        f"<tr><th>{label}</th><td>{html.escape(str(msg[name] or ''))}</td></tr>"
        for label, name in (("Từ", "From"), ("Tới", "To"), ("Tiêu đề", "Subject"), ("Ngày", "Date"),
                            ("Trả lời thư", "In-Reply-To"))
        if msg[name]
    )
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    files = "".join(
        f"<li>{html.escape(a.get_filename() or '(không tên)')} ({vn_number(len(a.get_content()))} byte)</li>"
        for a in msg.iter_attachments()
    )
    body = f"<table>{rows}</table><hr><pre>{html.escape(text)}</pre>"
    if files:
        body += f"<h3>Tệp đính kèm</h3><ul>{files}</ul>"
    return _page(str(msg["Subject"] or ""), body)


def _index(written: list[dict[str, Any]], now: dt.datetime) -> str:
    when = now.astimezone(MAIL_TZ).strftime("%H:%M ngày %d/%m/%Y")
    rows = "".join(
        f'<tr><td>{html.escape(w["recipient"])}</td><td>{html.escape(", ".join(w["to"]))}</td>'
        f'<td><a href="{w["html"]}">{html.escape(w["subject"])}</a></td><td><a href="{w["eml"]}">.eml</a></td></tr>'
        for w in written
    )
    body = (f"<h1>Xem trước {len(written)} thư (chưa gửi)</h1><p>Lập lúc {when}.</p>"
            f"<table><tr><th>Đơn vị</th><th>Tới</th><th>Tiêu đề</th><th></th></tr>{rows}</table>")
    return _page("Xem trước thư", body)
