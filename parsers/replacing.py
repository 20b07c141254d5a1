"""May a new response replace an agency's current report? (pure)

A later document from an agency that already answered replaces its current report only with
positive evidence: it is a report or a nil report for this campaign that covers the outline
clearly, or it says it replaces an earlier report ("thay thế Báo cáo số …"). Anything
doubtful (a short letter that happens to share the outline's words, a nil answer after a real
report) goes to a person; the current report stays until they decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers.model import ParseResult


@dataclass(frozen=True)
class ReplaceDecision:
    """Whether the new response replaces the current one, and why (Vietnamese)."""

    replaces: bool
    reason: str


def may_replace(
    new_kind: str,
    parsed: ParseResult | None,
    current_kind: str | None,
    *,
    min_coverage: float,
    current_coverage: float | None = None,
) -> ReplaceDecision:
    """Decide for a response of `new_kind` (its parse, None for a mail body) against the
    agency's current answer of `current_kind` (None: nothing to replace). Clear coverage: at
    least `min_coverage` of the outline, or at least as much as the report it replaces (a new
    version of the same report)."""
    if current_kind is None:
        return ReplaceDecision(replaces=True, reason="chưa có báo cáo nào")
    if parsed is not None and parsed.says_replaces:
        number = f" số {parsed.replaces_number}" if parsed.replaces_number else ""
        return ReplaceDecision(replaces=True, reason=f"văn bản ghi thay thế báo cáo{number}")
    if new_kind == "nil_report":
        if current_kind == "nil_report":
            return ReplaceDecision(replaces=True, reason="báo cáo không phát sinh gửi lại")
        return ReplaceDecision(replaces=False, reason="báo cáo không phát sinh gửi sau một báo cáo đã ghi nhận")
    if new_kind != "report" or parsed is None:
        return ReplaceDecision(replaces=False, reason="không phải báo cáo theo đề cương")
    if parsed.coverage >= min_coverage:
        return ReplaceDecision(replaces=True, reason=f"khớp {round(parsed.coverage * 100)}% đề cương")
    if current_kind == "report" and current_coverage is not None and parsed.coverage >= current_coverage - 1e-9:
        return ReplaceDecision(replaces=True, reason="phiên bản mới khớp đề cương không kém báo cáo hiện có")
    return ReplaceDecision(
        replaces=False,
        reason=f"văn bản mới chỉ khớp {round(parsed.coverage * 100)}% đề cương"
        f" (cần ít nhất {round(min_coverage * 100)}%, hoặc không kém báo cáo hiện có)",
    )
