"""What the Prefect dashboard shows: pure builders of artifact content, and a thin publisher.

The builders take the JSON contracts of `status`, `ingest`, `remind` and `report` (plain dicts)
and return plain values (rows, percentages, Markdown), so they are tested without Prefect.
Only the `publish_*` functions import prefect. Artifact keys are stable: each run adds a new
version under the same key and the UI shows the latest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)

from parsers.numbers import vn_number
from parsers.vocab import display_id
from reports.status import STATE_ORDER, counts_sentence
from reports.status import STATE_SHORT as STATE_LABELS

# Stable artifact keys (Prefect allows lowercase letters, digits and dashes only).
KEY_STATUS = "tinh-hinh-nop-bao-cao"
KEY_PROGRESS = "ty-le-don-vi-da-tra-loi"
KEY_REPORT = "bao-cao-tong-hop-moi-nhat"
KEY_REMINDERS = "thu-nhac-da-gui"
KEY_REMINDERS_DRY_RUN = "thu-nhac-chay-thu"
KEY_REVIEW = "muc-cho-xem-xet"
KEY_INGEST_MAIL = "ket-qua-thu-nhan-thu"
KEY_INGEST_FOLDER = "ket-qua-thu-nhan-thu-muc"
# Several open campaigns: each campaign's artifacts under its own key, "<key>-<campaign id>"
# (the mailbox and folder results stay one, the poll is shared).
KEYS = (KEY_STATUS, KEY_PROGRESS, KEY_REPORT, KEY_REMINDERS, KEY_REMINDERS_DRY_RUN, KEY_REVIEW, KEY_INGEST_MAIL, KEY_INGEST_FOLDER)



def _when(iso: str | None) -> str:
    """'2025-08-14T09:30:00+07:00' → '14/08/2025 09:30' (local time as recorded)."""
    if not iso:
        return ""
    date, _, time = iso.partition("T")
    year, month, day = date.split("-")
    return f"{day}/{month}/{year} {time[:5]}".strip()


def _short_list(items: list[str], limit: int = 4) -> str:
    """'1.a, 1.b, 2.2.đ, 3 + 5 khác': long lists do not widen the table past 1366 px."""
    shown = ", ".join(display_id(i) for i in items[:limit])
    return shown + (f" + {len(items) - limit} khác" if len(items) > limit else "")


def workspace_link(base_url: str | None, path: str) -> str:
    """An address in the web workspace (BAOCAO_WEB__BASE_URL), or '' when none is set."""
    return f"{base_url.rstrip('/')}{path}" if base_url else ""


def status_rows(status: Mapping[str, Any], base_url: str | None = None) -> list[dict[str, str]]:
    """Rows of the table artifact: one per recipient, who needs chasing first; narrow columns
    (fits 1366 px) and, when the workspace has an address, a link to the agency's page."""
    recipients = sorted(
        status["recipients"], key=lambda r: (STATE_ORDER.get(r["state"], 9), r["name"])
    )
    rows = []
    for r in recipients:
        state = r["state_label"] if r.get("failed_file") or r.get("to_check") else STATE_LABELS.get(r["state"], r["state"])
        if r.get("draft"):
            state += " · bản dự thảo"
        if r.get("needs_address"):  # no address reaches it: not reminded until a person finds one
            state += " · cần địa chỉ khác"
        elif r.get("bouncing"):
            state += " · thư bị trả lại"
        rows.append(
            {
                "Mã": r["id"],
                "Đơn vị": r["name"],
                "Tình trạng": state,
                "Nhận lúc": _when(r.get("last_response_at")),
                "Trễ hạn": "có" if r.get("late") else "",
                "Còn thiếu": _short_list(list(r.get("incomplete") or [])),
                "Đã nhắc": str(r.get("reminders_sent") or ""),
                **({"Xem": workspace_link(base_url, f"/don-vi/{r['id']}")} if base_url else {}),
            }
        )
    return rows


def responded_share(status: Mapping[str, Any]) -> float:
    """Percentage (0–100) of recipients that answered (a report or a nil report; a promise is
    not an answer): the same "đã trả lời" as the CLI, the workspace and the report."""
    counts = status["counts"]
    total = counts.get("total") or 0
    if not total:
        return 0.0
    return round(100.0 * counts["answered"] / total, 1)


def status_description(status: Mapping[str, Any], base_url: str | None = None) -> str:
    """One Markdown line summing up the counts, shown above the table."""
    c = status["counts"]
    link = f" [Mở bảng theo dõi]({workspace_link(base_url, '/')})" if base_url else ""
    return (
        f"**{status['title']}** — hạn nộp {_when(status['deadline'])[:10]}, "
        f"cập nhật {_when(status['as_of'])}. Tổng {counts_sentence(c)}; "
        f"trễ hạn {c['late']}, còn thiếu nội dung {c['incomplete']}.{link}"
    ) + health_markdown(status.get("sources") or [])


def health_markdown(sources: Iterable[Mapping[str, Any]]) -> str:
    """Mailbox health under the summary: per mailbox folder and shared folder, the last
    successful poll, the last error while it lasts, what is waiting ('' when nothing polled)."""
    lines = []
    for src in sources:
        label = "Hộp thư" if src["kind"] == "mail" else "Thư mục chung"
        last = _when(src.get("last_success_at")) or "chưa lần nào"
        line = f"- {label} `{_md_escape(src['name'])}`: đọc được lần cuối {last}, chờ xử lý {src.get('waiting') or 0}"
        if not src.get("ok", True):
            line += (
                f"; **không đọc được** từ {_when(src.get('failing_since'))}"
                f" ({vn_number(src.get('hours_failing') or 0, 1)} giờ làm việc): {_md_escape(src.get('last_error') or '')}"
            )
        lines.append(line)
    return ("\n\n**Tình trạng hộp thư**\n" + "\n".join(lines)) if lines else ""


def progress_description(status: Mapping[str, Any]) -> str:
    """What the progress bar measures."""
    c = status["counts"]
    return (
        f"{c['answered']}/{c['total']} đơn vị đã trả lời ({status['campaign']});"
        f" hẹn gửi {c['acknowledged']}, chưa trả lời {c['not_responded']}"
    )


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def review_markdown(review: Iterable[Mapping[str, Any]], base_url: str | None = None) -> str:
    """The review queue as a Markdown section."""
    items = list(review)
    if not items:
        return "## Mục chờ xem xét\n\nKhông có mục nào chờ cán bộ xem xét.\n"
    where = f"[trang Xem xét]({workspace_link(base_url, '/xem-xet')})" if base_url else "`baocao review`, `baocao assign`"
    lines = [
        "## Mục chờ xem xét",
        "",
        f"{len(items)} mục cần cán bộ TĐC xử lý ({where}).",
        "",
        "| Mục | Nguồn | Lý do | Lúc |",
        "|---|---|---|---|",
    ]
    for item in items:
        lines.append(
            f"| {item.get('item', '')} | {_md_escape(item.get('source', ''))} "
            f"| {_md_escape(item.get('reason', ''))} | {_when(item.get('created_at'))} |"
        )
    return "\n".join(lines) + "\n"


def report_markdown(
    report: Mapping[str, Any] | None,
    review: Iterable[Mapping[str, Any]],
    labels: Mapping[str, str] | None = None,
    base_url: str | None = None,
) -> str:
    """The latest consolidated report's files and totals (rows labelled), then the review queue."""
    parts = ["# Báo cáo tổng hợp mới nhất", ""]
    if base_url:
        parts += [f"Tải báo cáo và xem các vấn đề: [trang Báo cáo]({workspace_link(base_url, '/bao-cao')})", ""]
    if not report:
        parts.append("Chưa lập báo cáo tổng hợp lần nào (`baocao report`).")
    else:
        parts.append("Tệp đã lập:")
        parts.append("")
        parts.extend(f"- `{path}`" for path in report.get("files") or [])
        responded = report.get("responded") or []
        missing = report.get("not_responded") or []
        parts += ["", f"Đơn vị đã trả lời: {len(responded)}; chưa trả lời: {len(missing)}."]
        totals = report.get("totals") or {}
        if totals:
            # Numbers first: long row labels last so a narrow window still shows the figures.
            parts += ["", "| Dòng | Kế hoạch | Kết quả | Tỷ lệ | Chỉ tiêu |", "|---|---|---|---|---|"]
            for row_id, t in totals.items():
                label = (labels or {}).get(row_id, "")
                parts.append(
                    f"| {row_id} | {_num(t.get('plan'))} | {_num(t.get('result'))} "
                    f"| {_rate(t.get('rate'))} | {_md_escape(label)} |"
                )
    parts += ["", review_markdown(review, base_url)]
    return "\n".join(parts)


def _num(value: Any) -> str:
    """Vietnamese number (the project's one formatter): 1.250 thousands, 12,5 decimals."""
    if isinstance(value, int | float):
        return vn_number(value)
    return "" if value is None or value == "" else _md_escape(value)


def _rate(value: Any) -> str:
    """The report's rate is already a percentage (result / plan × 100)."""
    if isinstance(value, int | float):
        return _num(value) + " %"
    return _num(value)


def reminders_markdown(result: Mapping[str, Any], *, dry_run: bool = False) -> str:
    """What reminders went out (and what was skipped and why)."""
    sent = (result.get("would_send") if dry_run else result.get("sent")) or []
    skipped = result.get("skipped") or []
    failed = result.get("failed") or []
    title = "Thư nhắc sẽ gửi (chạy thử)" if dry_run else "Thư nhắc đã gửi"
    lines = [f"# {title}", ""]
    if not sent:
        lines.append("Lần chạy này không có thư nhắc nào đến hạn gửi.")
        if result.get("reason"):
            lines.append(f"Lý do: {_md_escape(result['reason'])}.")
    else:
        lines += ["| Đơn vị | Gửi tới | Loại | Message-ID |", "|---|---|---|---|"]
        for s in sent:
            to = s.get("to")
            to = ", ".join(to) if isinstance(to, list | tuple) else to
            lines.append(
                f"| {_md_escape(s.get('recipient', ''))} | {_md_escape(to or '')} "
                f"| {_md_escape(s.get('kind', ''))} | `{_md_escape(s.get('message_id', ''))}` |"
            )
    if failed:
        lines += ["", f"**{len(failed)} thư gửi lỗi** (sẽ gửi lại ở lần chạy sau):", ""]
        lines += [f"- {_md_escape(f.get('recipient', ''))}: {_md_escape(f.get('error', f.get('reason', '')))}" for f in failed]
    if skipped:
        lines += ["", f"Bỏ qua {len(skipped)} đơn vị:", ""]
        lines += [f"- {_md_escape(s.get('recipient', ''))}: {_md_escape(s.get('reason', ''))}" for s in skipped[:50]]
    return "\n".join(lines) + "\n"


def ingest_markdown(source: str, result: Mapping[str, Any]) -> str:
    """One ingest run: counts, then the items that failed or wait for review."""
    label = {"mail": "Hộp thư", "folder": "Thư mục dùng chung"}.get(source, source)
    counts = result.get("counts") or result
    c = {k: counts.get(k, 0) for k in ("new", "duplicate", "failed", "review", "ignored")}
    lines = [
        f"# Thu nhận: {label}",
        "",
        f"Mới {c['new']}, trùng {c['duplicate']}, lỗi {c['failed']}, chờ xem xét {c['review']},"
        f" không liên quan {c['ignored']}"
        + (f", đang chờ đọc bản quét {counts['queued']}." if counts.get("queued") else "."),
    ]
    notable = [i for i in result.get("items") or [] if i.get("status") in ("failed", "review", "ocr_queued")]
    if notable:
        lines += ["", "| Mục | Tình trạng | Chi tiết |", "|---|---|---|"]
        for item in notable[:50]:
            what = item.get("path") or item.get("from") or item.get("message_id") or item.get("uid", "")
            state = "đang chờ đọc bản quét" if item["status"] == "ocr_queued" else "chờ xem xét"
            if item["status"] == "failed":
                state = f"lỗi tạm thời, sẽ thử lại (lần {item.get('attempts', 1)})" if item.get("retry") else "lỗi"
            detail = item.get("error") or item.get("reason") or ""
            lines.append(f"| {_md_escape(what)} | {state} | {_md_escape(str(detail)[:200])} |")
    errors = result.get("errors") or []
    if errors:
        lines += ["", "Lỗi của lượt chạy:", ""]
        lines += [f"- {_md_escape(e)}" for e in errors[:50]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Publisher: the only part that talks to Prefect.


def worth_publishing(result: Mapping[str, Any], *, dry_run: bool = False) -> bool:
    """A run with nothing to show must not replace the latest version of its artifact (the
    reminders sent this morning stay visible after an idle afternoon run)."""
    if dry_run:
        return True
    counts = result.get("counts") or {}
    return bool(
        result.get("sent") or result.get("failed") or result.get("errors")
        or result.get("items") or any(counts.get(k) for k in ("new", "failed", "review", "duplicate"))
    )


def campaign_key(key: str, campaign_id: str | None) -> str:
    """The artifact key of one campaign's artifact: the plain key (one campaign) or
    "<key>-<campaign id>" (several open; an artifact key has only a-z, 0-9 and dashes)."""
    return f"{key}-{re.sub(r'[^a-z0-9-]+', '-', campaign_id.lower())}" if campaign_id else key


def publish_status(status: Mapping[str, Any], base_url: str | None = None, *, keyed: str | None = None) -> None:
    """Publish the status table and the progress bar (`keyed`: the campaign, when several)."""
    create_table_artifact(
        key=campaign_key(KEY_STATUS, keyed), table=status_rows(status, base_url),
        description=status_description(status, base_url),
    )
    create_progress_artifact(
        key=campaign_key(KEY_PROGRESS, keyed), progress=responded_share(status), description=progress_description(status)
    )


def publish_report(
    report: Mapping[str, Any] | None,
    review: Iterable[Mapping[str, Any]],
    labels: Mapping[str, str] | None = None,
    base_url: str | None = None,
    *,
    keyed: str | None = None,
) -> None:
    """Publish the latest report files and the review queue."""
    create_markdown_artifact(
        key=campaign_key(KEY_REPORT, keyed),
        markdown=report_markdown(report, review, labels, base_url),
        description="Báo cáo tổng hợp mới nhất và các mục chờ xem xét",
    )


def publish_reminders(result: Mapping[str, Any], *, dry_run: bool = False, keyed: str | None = None) -> None:
    """Publish what reminders went out (a dry run under its own key; nothing sent: no new version)."""
    if not worth_publishing(result, dry_run=dry_run):
        return
    create_markdown_artifact(
        key=campaign_key(KEY_REMINDERS_DRY_RUN if dry_run else KEY_REMINDERS, keyed),
        markdown=reminders_markdown(result, dry_run=dry_run),
        description="Thư nhắc của lần chạy gần nhất",
    )


def publish_ingest(source: str, result: Mapping[str, Any]) -> None:
    """Publish one ingest run's counts and errors (an idle poll adds no version)."""
    if not worth_publishing(result):
        return
    create_markdown_artifact(
        key=KEY_INGEST_MAIL if source == "mail" else KEY_INGEST_FOLDER,
        markdown=ingest_markdown(source, result),
        description="Kết quả thu nhận của lần chạy gần nhất",
    )


def publish_review(review: Iterable[Mapping[str, Any]], base_url: str | None = None, *, keyed: str | None = None) -> None:
    """Publish the review queue on its own (it changes with every ingest)."""
    create_markdown_artifact(
        key=campaign_key(KEY_REVIEW, keyed), markdown=review_markdown(review, base_url), description="Mục chờ cán bộ TĐC xem xét"
    )


# ---------------------------------------------------------------------------------------
# Run names and the one Vietnamese line every flow logs (pure).


def run_name(label: str, when: Any) -> str:
    """'Thu nhận thư · 14/08/2025 09:30': what and when, instead of a random animal name."""
    return f"{label} · {when:%d/%m/%Y %H:%M}"


def reminders_summary(result: Mapping[str, Any], *, dry_run: bool = False) -> str:
    """One line: how many reminders went out, failed, were skipped."""
    sent = len((result.get("would_send") if dry_run else result.get("sent")) or [])
    failed, skipped = len(result.get("failed") or []), len(result.get("skipped") or [])
    verb = "sẽ gửi (chạy thử)" if dry_run else "đã gửi"
    return f"Thư nhắc: {verb} {sent}, lỗi {failed}, bỏ qua {skipped}."


def report_summary(report: Mapping[str, Any] | None, status: Mapping[str, Any]) -> str:
    """One line: the report was built, with the one 'đã trả lời' count."""
    c = status["counts"]
    files = len((report or {}).get("files") or [])
    return f"Đã lập báo cáo tổng hợp ({files} tệp): {c['answered']}/{c['total']} đơn vị đã trả lời."
