"""May a new response replace an agency's current report? Is a "report" about this request? (pure)

A later document from an agency that already answered replaces its current report only with
positive evidence: it is a report or a nil report for this campaign that covers the outline
clearly, or it says it replaces an earlier report ("thay thế Báo cáo số …", in the document
or in the message that carries it). Anything doubtful (a short letter that happens to share
the outline's words, a nil answer after a real report, a document far thinner than the report
it would replace, one that never names the programme) goes to a person; the current report
stays until they decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from parsers.identity import find_replaces
from parsers.model import ParseResult
from parsers.textnorm import fold, fold_words

# A new document covering less than this share of the current report's coverage, and not
# saying it replaces it, is not a new version of it (an agency's other report, a fragment).
FAR_BELOW = 0.5
# "gửi lại báo cáo thay thế", "Trường gửi báo cáo thay thế", "bản này thay thế bản đã gửi"
# (accent-folded: "ban" alone is also "bàn", "bán", "ban hành", so only with what follows).
_MESSAGE_REPLACES = re.compile(
    r"\b(?:bao cao|van ban)(?:\s+(?:nay|moi|sua|da sua|dieu chinh|bo sung))?\s+(?:de\s+)?thay the\b"
    r"|\bban (?:nay|moi|sua|da sua|dieu chinh)\s+(?:de\s+)?thay the\b"
    r"|\bthay the\s+(?:cho\s+)?(?:ban|bao cao|van ban)\s+(?:da gui|gui truoc|truoc|cu)\b"
)


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
    names_programme: bool = True,
) -> ReplaceDecision:
    """Decide for a response of `new_kind` (its parse, None for a mail body) against the
    agency's current answer of `current_kind` (None: nothing to replace). Clear coverage: at
    least `min_coverage` of the outline and not far below the current report's, or at least as
    much as the report it replaces (a new version of the same report). `names_programme`:
    the document or its message names the programme (a distinctive word: "996")."""
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
    if current_kind == "report" and not names_programme:
        return ReplaceDecision(
            replaces=False,
            reason="văn bản mới không nhắc tới chương trình/công văn yêu cầu báo cáo và không ghi thay thế báo cáo hiện có",
        )
    new, current = round(parsed.coverage * 100), round((current_coverage or 0) * 100)
    if parsed.coverage >= min_coverage:
        if current_kind == "report" and current_coverage is not None and parsed.coverage < FAR_BELOW * current_coverage:
            return ReplaceDecision(
                replaces=False,
                reason=f"văn bản mới chỉ khớp {new}% đề cương, thấp hơn nhiều so với báo cáo hiện có ({current}%),"
                " và không ghi thay thế báo cáo đó",
            )
        return ReplaceDecision(replaces=True, reason=f"khớp {new}% đề cương")
    if current_kind == "report" and current_coverage is not None and parsed.coverage >= current_coverage - 1e-9:
        return ReplaceDecision(replaces=True, reason="phiên bản mới khớp đề cương không kém báo cáo hiện có")
    return ReplaceDecision(
        replaces=False,
        reason=f"văn bản mới chỉ khớp {new}% đề cương"
        f" (cần ít nhất {round(min_coverage * 100)}%, hoặc không kém báo cáo hiện có)",
    )


def message_says_replaces(text: str) -> tuple[bool, str | None]:
    """Whether a message's own words (subject, new text) say its report replaces an earlier
    one ("gửi lại báo cáo thay thế báo cáo đã gửi ngày 05/8"), and that one's number if given."""
    lines = [line for line in text.splitlines() if line.strip()]
    found, number = find_replaces(lines)
    if found:
        return True, number
    return bool(_MESSAGE_REPLACES.search(fold_words(text))), None


def names_programme(words: Iterable[str], texts: Iterable[str], distinctive: Iterable[str]) -> bool:
    """Whether a document (its folded `words`) or its message (`texts`) names the programme by
    one of its distinctive words ("996", "Đề án 996"; the campaign's hints with a digit).
    True when the campaign gives none: nothing to check against."""
    phrases = [fold_words(w).split() for w in distinctive if any(c.isdigit() for c in w)]
    phrases = [p for p in phrases if p]
    if not phrases:
        return True
    present = set(words)
    for text in texts:
        present |= set(fold_words(text).split())
    return any(all(w in present for w in p) for p in phrases)


def cites_other_request(texts: Iterable[str], request_number: str) -> str | None:
    """A number of the requesting office's letters ("Công văn số 1102/SKHCN-TĐC") cited in
    `texts` that is not this request's, when this request's number is known (filled in)."""
    own = re.sub(r"\s+", "", fold(request_number))
    code = own.split("/", 1)[1] if "/" in own else ""
    if not re.match(r"\d", own) or not code:
        return None
    first = re.escape(code.split("-")[0])
    pattern = re.compile(rf"(?<![\w/])(\d{{1,5}})\s*/\s*{first}(?:\s*-\s*\w+)*")
    cited = [m for text in texts for m in pattern.finditer(fold(text))]
    if any(m.group(1) == own.split("/")[0] for m in cited):
        return None  # it answers this request (and cites others beside it)
    return re.sub(r"\s+", "", cited[0].group(0)).upper() if cited else None
