"""Is a document a report, a nil report (nothing to report under the programme) or no report at all?

A report follows the outline (section headings, the quantitative table) or at least is a
"BÁO CÁO" about the programme. A nil report is an official reply that the agency has no tasks
or content under it — a valid answer. Anything else (an invitation, another request, a wrong
file) is not a report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers.caching import per_outline
from parsers.model import Kind, OutlineSpec
from parsers.textnorm import fold_words

# Typical wording of a nil reply, besides the campaign's own nil phrases.
NIL_WORDING = (
    "khong co nhiem vu",
    "khong duoc giao nhiem vu",
    "khong duoc giao chu tri",
    "khong duoc phan cong",
    "chua duoc giao nhiem vu",
    "khong co noi dung",
    "khong phat sinh",
    "khong co so lieu",
    "khong thuoc pham vi",
    "khong thuoc chuc nang",
    "khong co hoat dong",
    "khong trien khai",
    "khong co co so",
    "khong co ket qua",
    "khong lien quan",
    "khong co thong tin",
    "khong co gi de bao cao",
    "khong thuoc doi tuong",
    "khong co phat sinh",
    "khong chu tri",
    "khong duoc giao",
    "khong co du lieu",
    "khong giao nhiem vu",
    "khong phai la co quan",
    "xin phep khong bao cao",
    "do do khong bao cao",
    "nen khong bao cao",
)
# Wordings that also occur inside real answers ("chưa triển khai nghiên cứu …"): they make a
# nil reply only in a short letter.
NIL_WORDING_SHORT = ("chua trien khai", "khong tham gia", "chua tham gia", "chua phat sinh", "chua co hoat dong")
_SHORT_LETTER_WORDS = 250
_INVITATION = ("giay moi", "tran trong kinh moi", "kinh moi", "thoi gian hop", "dia diem")
_REPORT_TITLE = ("bao cao",)
# The request itself (công văn + đề cương) sent back by mistake, or a cover letter whose report
# is in another attachment.
_REQUEST = ("de cuong bao cao", "de nghi cac co quan", "bao cao theo de cuong")
# A letter asking for more time: the report is still to come.
_EXTENSION = ("xin gia han", "de nghi gia han", "cho phep gia han", "gia han thoi gian")
_COVER = (" v v gui ", "ve viec gui bao cao", "kem theo cong van nay", "gui kem bao cao so")


@per_outline(maxsize=16)
def _spec_phrases(spec: OutlineSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The outline's topic words and nil phrases, folded (the same for every document)."""
    topic = tuple(f for w in spec.topic_words if (f := fold_words(w)))
    nil = (*(fold_words(p) for p in spec.nil_phrases), *NIL_WORDING)
    return topic, nil


def _has_any(text: str, phrases: Sequence[str]) -> bool:
    return any(p and p in text for p in phrases)


# Documents that are something else by their own type (number code or title): a plan, a
# decision, an invitation … mentioning the programme is not a report on it.
NOT_REPORT_TYPES = {
    "ke_hoach", "quyet_dinh", "giay_moi", "thong_bao", "to_trinh", "nghi_dinh", "chi_thi", "huong_dan",
    "phieu", "bieu_mau", "de_cuong",
}


def classify(
    *,
    doc_type: str = "",
    text: str,
    spec: OutlineSpec,
    headings_found: int,
    groups_found: int,
    answered_sections: int,
    table_found: bool,
    table_values: int,
    none_sections: int = 0,
    opening: str | None = None,
    folded_text: str | None = None,
) -> Kind:
    """The kind of a document from its outline evidence and its wording.

    `table_values` counts the non-zero numbers of the quantitative table: a table of zeros
    says as little as an empty one. `none_sections`: sections answered with an explicit none
    ("Không", "Không phát sinh"); a document that answers every section with one, and whose
    table holds no figure (all "-"), is a nil report in report form. `opening`: the title block and first lines, where a report names what it
    reports on (the whole text when not given). `folded_text`: `fold_words(text)` when the
    caller has it already (folding a whole report costs as much as classifying it).
    """
    folded = " " + (fold_words(text) if folded_text is None else folded_text) + " "
    topic, nil = _spec_phrases(spec)
    has_topic = _has_any(folded, topic)
    has_nil = _has_any(folded, nil) or (
        len(folded.split()) < _SHORT_LETTER_WORDS and _has_any(folded, NIL_WORDING_SHORT)
    )
    structured = headings_found >= 2 or (headings_found >= 1 and groups_found >= 1) or table_found
    head = folded[:400]
    if doc_type in NOT_REPORT_TYPES and not has_nil:
        return "not_a_report"
    if structured:
        # Every section of the outline, not only those found: a section lost to an unusual
        # heading may be the one with content, and a report must never pass for a nil one.
        if table_values == 0 and spec.sections and none_sections == answered_sections == len(spec.sections):
            # The whole outline copied with "Không" under every heading and "-" in every cell.
            return "nil_report"
        if answered_sections == 0 and table_values == 0:
            if has_nil:
                return "nil_report"
            if _has_any(folded, _REQUEST):
                return "not_a_report"
        return "report"
    if _has_any(head, _INVITATION[:2]) or (
        _has_any(folded, _INVITATION) and not has_nil and "bao cao" not in head
    ):
        return "not_a_report"
    if _has_any(folded, _EXTENSION) and not has_nil:
        return "not_a_report"
    if has_nil and (has_topic or "bao cao" in folded):
        return "nil_report"
    if _has_any(folded, _COVER) and len(folded.split()) < 250:
        return "not_a_report"
    # Without the outline's structure, a "BÁO CÁO" must be about the programme by more than one
    # of its words: "đo lường" alone is another measurement report, "sơ kết" alone another review.
    # Positive evidence: the title and opening (what the document says it reports on) name
    # the programme; a report on another programme that mentions it in passing, or a letter
    # commenting on a draft report, does not.
    named = " " + fold_words(opening) + " " if opening is not None else folded
    topic_hits = sum(1 for w in set(topic) if w and w in named)
    if topic_hits >= 2 and _has_any(head, _REPORT_TITLE) and len(folded.split()) > 60 and (
        doc_type == "bao_cao" or _reports(named)
    ):
        return "report"
    return "not_a_report"


# The agency reporting in its own name: a report's number ("…/BC-…"), a "BÁO CÁO" title or
# "… báo cáo (kết quả|như sau) …"; not "nhận được dự thảo Báo cáo … góp ý như sau".
_REPORTS = re.compile(r"(?:^|\s)bao cao(?:\s+\S+){0,12}?\s+(?:nhu sau|ket qua|tinh hinh|cu the)\b|^\s*bao cao\b")


def _reports(opening: str) -> bool:
    return bool(_REPORTS.search(opening.strip()))
