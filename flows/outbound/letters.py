"""What every mail we send is made of: its template context, rendered text and attachments."""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path
from typing import Any

from config.campaign import Campaign
from config.errors import ConfigError
from flows.app import App
from flows.outbound.delivery import DeliveryReport
from reports.forms import form_filenames, form_xlsx, outline_docx
from reports.mailtext import MailTextError, render_mail
from reports.status import RecipientStatus

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(app: App, name: str, context: dict[str, Any]) -> tuple[str, str]:
    try:
        return render_mail(app.settings.templates_dir, name, context)
    except MailTextError as err:
        raise ConfigError(str(err)) from err


def template_context(
    app: App,
    campaign: Campaign,
    status: RecipientStatus,
    *,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> dict[str, Any]:
    """What every template may use."""
    return {
        "campaign": campaign,
        "request": campaign.request,
        "contact": campaign.request.contact,
        "deadline": campaign.deadline,
        "recipient": {"code": status.facts.code, "name": status.facts.name},
        "reply_to": app.settings.smtp.sender,
        "attachment_names": [a[0] for a in attachments],
        "form_xlsx_name": form_filenames(campaign)[1],
        "state": status.state,
        "acknowledged": status.state == "acknowledged",
        # Its only report could not be read: the reminder asks again for a readable copy.
        "failed_file": status.failed_file,
    }


def request_attachments(campaign: Campaign) -> tuple[tuple[str, bytes, str], ...]:
    """The configured files (the official letter…) plus the outline .docx and the .xlsx form."""
    files: list[tuple[str, bytes, str]] = []
    for name in campaign.request.attachments:
        path = Path(name)
        if not path.is_absolute() and campaign.source_dir is not None:
            path = campaign.source_dir / path
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ConfigError(f"không đọc được tệp đính kèm: {err.strerror}", path, field="request.attachments") from err
        files.append((path.name, data, mimetypes.guess_type(path.name)[0] or "application/octet-stream"))
    docx_name, xlsx_name = form_filenames(campaign)
    files.append((docx_name, outline_docx(campaign), DOCX_MIME))
    files.append((xlsx_name, form_xlsx(campaign), XLSX_MIME))
    return tuple(files)


def delivery_result(campaign: Campaign, now: dt.datetime, report: DeliveryReport) -> dict[str, Any]:
    data = report.to_json()
    return {"campaign": campaign.id, "now": now.astimezone(campaign.tz).isoformat(), **data}
