"""Mail texts from staff-editable Jinja2 templates (`<name>.txt.j2`, first line `Subject: …`)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from reports.errors import ReportsError


class MailTextError(ReportsError):
    """A mail template is missing or wrong; the message names the file and what to fix."""


def _date_vn(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, the way Vietnamese letters write dates."""
    return value.strftime("%d/%m/%Y") if value else "…"


@lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> jinja2.Environment:
    # Cached: the loader re-reads a template whose file changed (auto_reload), so staff edits apply.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ngay"] = _date_vn
    return env


def render_mail(templates_dir: Path, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, text) from `templates_dir/<name>.txt.j2`; both NFC-normalised."""
    file = f"{name}.txt.j2"
    try:
        rendered = _environment(templates_dir).get_template(file).render(**context)
    except jinja2.TemplateNotFound as err:
        raise MailTextError(f"không tìm thấy mẫu thư {templates_dir / file}") from err
    except jinja2.TemplateSyntaxError as err:
        raise MailTextError(f"{templates_dir / file}:{err.lineno}: mẫu thư sai cú pháp: {err.message}") from err
    except jinja2.UndefinedError as err:
        raise MailTextError(f"{templates_dir / file}: mẫu thư dùng biến không có: {err.message}") from err
    rendered = unicodedata.normalize("NFC", rendered)
    first, _, body = rendered.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise MailTextError(f"{templates_dir / file}: dòng đầu phải là 'Subject: …'")
    subject = " ".join(first.split(":", 1)[1].split())
    if not subject:
        raise MailTextError(f"{templates_dir / file}: tiêu đề thư trống")
    return subject, body.strip("\n") + "\n"
