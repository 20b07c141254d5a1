"""Mail texts from staff-editable Jinja2 templates (`<name>.txt.j2`, first line `Subject: …`)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.ext import Extension

from reports.errors import ReportsError


class MailTextError(ReportsError):
    """A mail template is missing or wrong; the message names the file and what to fix."""


def _date_vn(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, the way Vietnamese letters write dates."""
    return value.strftime("%d/%m/%Y") if value else "…"


def deadline_words(value: dt.date | dt.datetime | None) -> str:
    """A deadline as a letter says it, never "trước ngày" (read as the day before): a day is
    the whole day, 'chậm nhất trong ngày 15/08/2025'; a moment with a time of day before its
    end, 'chậm nhất 17:00 ngày 15/08/2025'."""
    if not value:
        return "…"
    if isinstance(value, dt.datetime) and value.time() < dt.time(23, 59):
        return f"chậm nhất {value:%H:%M} ngày {value:%d/%m/%Y}"
    return f"chậm nhất trong ngày {value:%d/%m/%Y}"


# Block tags, comments and expressions, in source order (a `{% raw %}` body is not looked into).
_TAGS = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}|\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}", re.DOTALL)
_RAW = re.compile(r"\{%-?\s*raw\b")


def keep_line_ends(source: str) -> str:
    """Keep the newline after a block tag or comment that ends a line of text.

    The environment trims the newline after a block tag (`trim_blocks`), which is right for a
    line holding only tags (`{% for … %}`) and wrong for `- Dòng 1: …{% endif %}`: that line would
    be glued to the next. Such a tag gets Jinja's own `+%}` (do not trim here), so a staff member
    who writes a line of text gets a line, whatever tag it ends with. Line numbers are unchanged.
    """
    out: list[str] = []
    pos = 0
    has_text = False  # the current line so far holds text or an expression, not only tags
    for match in _TAGS.finditer(source):
        tag = match.group()
        # A `{% raw %}…{% endraw %}` block counts as text (its tags are not looked into).
        text = source[pos : match.start()] + (tag if _RAW.match(tag) else "")
        if "\n" in text:
            has_text = bool(text.rsplit("\n", 1)[1].strip())
        elif text.strip():
            has_text = True
        if tag.startswith("{{"):
            has_text = True
        elif has_text and source.startswith(("\n", "\r"), match.end()) and tag[-3] not in "+-":
            tag = f"{tag[:-2]}+{tag[-2:]}"
        out.append(source[pos : match.start()] + tag)
        pos = match.end()
    out.append(source[pos:])
    return "".join(out)


class _KeepLineEnds(Extension):
    """`keep_line_ends` on every template the environment loads."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return keep_line_ends(source)


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
        extensions=[_KeepLineEnds],
    )
    env.filters["ngay"] = _date_vn
    env.filters["han"] = deadline_words
    return env


def _subject_line(source: str) -> str | None:
    """The template's lines up to its `Subject:` line, when only blank lines and comments come
    before it (else None: the subject may depend on what comes first)."""
    lines: list[str] = []
    for line in keep_line_ends(source).splitlines(keepends=True):
        lines.append(line)
        text = _TAGS.sub(lambda m: m.group() if m.group().startswith("{{") else "", line).strip()
        if text.lower().startswith("subject:"):
            return "".join(lines)
        if text or "{%" in line:
            return None
    return None


@lru_cache(maxsize=32)
def _subject_template(templates_dir: Path, file: str, source: str) -> jinja2.Template | None:
    head = _subject_line(source)
    return _environment(templates_dir).from_string(head) if head is not None else None


def render_subject(templates_dir: Path, name: str, context: dict[str, Any], full: Any) -> str:
    """The subject alone, from the template's `Subject:` line and a few cheap values; when
    that line needs more than `context` holds (a staff edit using another variable), or
    anything else stands in the way, the subject of the whole mail (`full()` builds its
    context). Always the subject `render_mail` gives with the full context."""
    file = f"{name}.txt.j2"
    env = _environment(templates_dir)
    try:
        source, _, _ = env.loader.get_source(env, file)  # type: ignore[union-attr]
        template = _subject_template(templates_dir, file, source)
        if template is not None:
            first = unicodedata.normalize("NFC", template.render(**context)).lstrip("\n").partition("\n")[0]
            subject = " ".join(first.split(":", 1)[1].split()) if first.lower().startswith("subject:") else ""
            if subject:
                return subject
    except jinja2.TemplateError:
        pass  # the whole mail says what is wrong, or needs what the line used
    return render_mail(templates_dir, name, full())[0]


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
