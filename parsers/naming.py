"""Where a message or a dropped file names its agency, besides the document itself (pure).

Subject tags ("[Sở Tư pháp] Báo cáo …", "[STP] …") and drop-folder paths ("So Tu phap/",
"BaoCao_SoTuPhap_2025.docx") are medium evidence of who sent it: a person would read them,
but anyone can type them, so one alone never settles attribution (see
`parsers.mail_classify.attribute`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

_TAG = re.compile(r"\[([^\[\]]{2,80})\]|【([^【】]{2,80})】")
_CAMEL = re.compile(r"(?<=[a-zà-ỹđ])(?=[A-ZÀ-ỸĐ])")
_SEP = re.compile(r"[_\-.+/\\()]+")
_YEARS = re.compile(r"\b(?:19|20)\d\d\b")


def subject_tags(subject: str | None) -> list[str]:
    """The bracketed tags of a subject line ("[Sở Tư pháp] Báo cáo" → ["Sở Tư pháp"])."""
    return [a or b for a, b in _TAG.findall(subject or "")]


def path_words(path: str) -> str:
    """A folder or file name as words: separators and CamelCase split, the extension dropped
    ("BaoCao_SoTuPhap_2025.docx" → "Bao Cao So Tu Phap 2025")."""
    parts = [p for p in re.split(r"[/\\]", path) if p]
    if parts and "." in parts[-1]:
        parts[-1] = parts[-1].rsplit(".", 1)[0]
    words = " ".join(_CAMEL.sub(" ", p) for p in parts)
    return " ".join(_SEP.sub(" ", words).split())


def named_in(
    names: Sequence[tuple[int, Sequence[str]]], text: str, fold: Callable[[str], str]
) -> dict[int, float]:
    """Agencies a short label names (a tag, a path), by any of their names, accent-folded and
    also with the spaces dropped ("sotuphap"); fuzzy (rapidfuzz) for long names typed with
    small slips. `names`: (recipient id, official name first, then aliases); `fold`: the
    accent-folding of `parsers.mail_classify` (passed in, to keep this module a leaf)."""
    folded = f" {fold(_YEARS.sub(' ', text))} "
    compact = folded.replace(" ", "")
    found: dict[int, float] = {}
    for rid, labels in names:
        best = 0.0
        for i, label in enumerate(labels):
            key = fold(label)
            if len(key) < 3:
                continue
            official = i == 0
            if f" {key} " in folded:
                score = 1.0 if official else 0.9
            elif len(key.replace(" ", "")) >= 8 and key.replace(" ", "") in compact:
                score = 0.9 if official else 0.8
            elif len(key) >= 10 and fuzz.partial_ratio(key, folded) >= 92:
                score = 0.75
            else:
                continue
            best = max(best, score)
        if best:
            found[rid] = best
    # "Sở Tài chính" inside "Văn phòng Sở Tài chính": the longer name wins.
    if len(found) > 1:
        top = max(found.values())
        found = {rid: s for rid, s in found.items() if s == top}
    return found
