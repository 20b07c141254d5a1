"""Which parsed files of one message (or one dropped file) form which response: pure.

A message may carry one agency's report as Word + PDF, a cover letter beside the report, an
Excel table beside a Word narrative, or several agencies' reports at once. `plan_units` turns
the typed parse results into units (one response each, with its attribution); `Unit.merged`
gives the response's typed result with its gaps filled from the companion files. Nothing here
touches storage: a candidate names its file by position (`part`, `member`) and the caller maps
positions to stored documents.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace

from parsers.mail_classify import AgencyRef, Attribution, attribute
from parsers.model import Indicator, ParseResult, Problem, ProblemCode, SectionText
from parsers.numbers import vn_number
from parsers.vocab import MailKind, SubmissionKind

# The submission kind a message's classification stands for.
KIND_OF_CLASS = {
    MailKind.SUBMISSION: SubmissionKind.REPORT,
    MailKind.NIL_REPORT: SubmissionKind.NIL_REPORT,
    MailKind.ACKNOWLEDGEMENT: SubmissionKind.ACKNOWLEDGEMENT,
}
_KIND_RANK = {"report": 0, "nil_report": 1, "not_a_report": 2}
_FORMAT_RANK = {"docx": 0, "xlsx": 0, "doc": 1, "xls": 1, "odt": 1, "ods": 1, "pdf": 2}
# A report's number carries the type code BC ("15/BC-STP", "12/BC.UBND"; Nghị định 30/2020).
_REPORT_NUMBER = re.compile(r"/\s*BC(?![A-Za-zÀ-ỹĐđ])", re.IGNORECASE)
# Below this score a document's own letterhead does not vote on who sent it.
DOCUMENT_VOTE = 0.6


@dataclass(frozen=True)
class Candidate:
    """A parsed file that may be (part of) a response: file position and what was read."""

    result: ParseResult
    part: int
    member: int | None = None

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Best first: a report before a nil report, the report before an appendix that says
        it belongs to one ("Kèm theo Báo cáo số …"), Word/Excel before PDF, more answers first."""
        r = self.result
        return (
            _KIND_RANK.get(r.kind, 3),
            1 if r.part_of else 0,
            _FORMAT_RANK.get(r.format, 3),
            -len(r.answered_sections),
        )

    @property
    def content_key(self) -> str:
        return self.result.sha256

    @property
    def is_answer(self) -> bool:
        return self.result.kind in ("report", "nil_report")


def candidates_of(results: list[ParseResult | None]) -> list[Candidate]:
    """Every readable file (zip members one by one) as a candidate, by position."""
    found: list[Candidate] = []
    for part, result in enumerate(results):
        if result is None or result.error is not None:
            continue
        if result.members:
            found.extend(
                Candidate(m, part, i)
                for i, m in enumerate(result.members)
                if m.error is None and m.format != "zip"
            )
        else:
            found.append(Candidate(result, part))
    return found


@dataclass
class Unit:
    """One response to record: its kind, the document it rests on, its attribution."""

    kind: str
    content_key: str
    attribution: Attribution
    candidate: Candidate | None = None
    source_key: str = ""
    # Other files of the same response (an Excel table beside a Word narrative) fill its gaps.
    companions: list[Candidate] = field(default_factory=list)
    # The main file is an appendix ("Kèm theo Báo cáo số X ngày D") whose report is not in
    # this message: (X, D). It joins that report if the agency sent it, else it waits (req. 7).
    appendix_of: tuple[str, str | None] | None = None
    # The message's own words (subject and new text; a dropped file: none): they may say the
    # report replaces an earlier one, name the programme, cite the request it answers.
    message_text: str = ""

    def merged(self) -> ParseResult | None:
        """The main document's result, gaps filled from the companions: a new result whose
        containers (sections, closing parts, group texts, rows, extra rows, problems) are its
        own, so filling them never changes a file's result; the values read (a section's text,
        a row) are shared, as nobody changes them. (A deep copy of the whole result was ~1.5 ms
        per report of a first pass.)

        Everything a companion has that the main file does not answer is kept — sections,
        closing parts, group texts, table rows, extra rows and extra text — each with the file
        it was read from (`file`), so a joined version loses nothing of the report it joins
        and its provenance names the right file."""
        if self.candidate is None:
            return None
        merged = copy.copy(self.candidate.result)
        merged.members = []
        merged.sections = dict(merged.sections)
        merged.indicators = dict(merged.indicators)
        merged.closing = dict(merged.closing)
        merged.groups = dict(merged.groups)
        merged.extra_rows = list(merged.extra_rows)
        merged.problems = list(merged.problems)
        for other in self.companions:
            extra = other.result
            if (differ := copies_differ(self.candidate.result, extra)) is not None:
                merged.problems.append(differ)
            for texts, theirs in ((merged.sections, extra.sections), (merged.closing, extra.closing), (merged.groups, extra.groups)):
                _fill_texts(texts, theirs, extra.file)
            _fill_rows(merged.indicators, extra.indicators, extra.file)
            _add_extras(merged, extra, copy_of_main=_copies(self.candidate.result, extra))
            merged.problems = [*merged.problems, *copy.deepcopy(extra.problems)]
        filled = {rid for rid, r in merged.indicators.items() if r.answered}
        answered = set(merged.answered_sections)
        merged.problems = [p for p in merged.problems if not _settled_problem(p, filled, answered)]
        return merged


def _fill_texts(mine: dict[str, SectionText], theirs: dict[str, SectionText], file: str) -> None:
    """Texts (sections, closing parts, group texts) the main file leaves unanswered, from a companion."""
    for sid, answer in theirs.items():
        have = mine.get(sid)
        # A section the main file answers only with its group's text takes a companion's own.
        by_group_only = have is not None and bool(have.group) and not answer.group
        if (not answer.empty and (have is None or have.empty or by_group_only)) or (
            answer.explicit_none and (have is None or not have.answered or by_group_only)
        ):
            mine[sid] = replace(answer, file=answer.file or file)


def _fill_rows(mine: dict[str, Indicator], theirs: dict[str, Indicator], file: str) -> None:
    """Rows the main file leaves without figures, from a companion."""
    for rid, row in theirs.items():
        have = mine.get(rid)
        empty_mine = have is None or (have.plan is None and have.result is None)
        # Figures fill a row with none; an explicit none ("Không") answers a row the main file
        # left blank, as it would parsed alone.
        if empty_mine and (
            row.plan is not None or row.result is not None
            or (row.explicit_none and (have is None or not have.answered))
        ):
            at = row.file or file
            values = {role: replace(v, file=v.file or at) for role, v in row.values.items()}
            mine[rid] = replace(row, file=at, values=values)


def _add_extras(merged: ParseResult, extra: ParseResult, *, copy_of_main: bool) -> None:
    """A companion's own rows and its text outside the outline, unless the main file has them
    (a copy of the main file adds no text: its PDF layout words it differently)."""
    labels = {_words(r.label) for r in merged.extra_rows}
    merged.extra_rows = [
        *merged.extra_rows,
        *(replace(r, where=_in_file(extra.file, r.where)) for r in extra.extra_rows if _words(r.label) not in labels),
    ]
    theirs = (extra.extra_text or "").strip()
    if theirs and not copy_of_main and _words(theirs) not in _words(merged.extra_text or ""):
        merged.extra_text = f"{merged.extra_text.strip()}\n\n{theirs}" if (merged.extra_text or "").strip() else theirs


def _copies(main: ParseResult, other: ParseResult) -> bool:
    """Two files of one report (a Word file and its PDF): the same number, both with sections.
    A figures-only correction that carries its report's number is not a copy of it."""
    key = number_key(main.doc_number)
    return bool(key and key == number_key(other.doc_number) and not main.part_of and not other.part_of
                and main.answered_sections and other.answered_sections)


def _in_file(file: str, where: str) -> str:
    name = _file_name(file)
    return f"{name} › {where}" if where else name


def _words(text: str) -> str:
    """A text's words only (folded), for telling whether one file's text is already in another's
    (a Word file and its PDF lay the same words out differently)."""
    return " ".join(re.findall(r"\w+", text.casefold()))


_ROLE_WORDS = {"plan": "kế hoạch", "result": "kết quả", "rate": "tỷ lệ"}


def copies_differ(main: ParseResult, other: ParseResult) -> Problem | None:
    """Two files of one message that are the same report (the same number: a Word file and its
    signed PDF) whose figures differ: a blocking problem naming both files and every differing
    value. The main file's figures are kept until a person decides; none is dropped silently."""
    if not main.doc_number or main.part_of or other.part_of:
        return None
    if number_key(main.doc_number) != number_key(other.doc_number):
        return None
    found = []
    for rid, mine in main.indicators.items():
        theirs = other.indicators.get(rid)
        if theirs is None:
            continue
        for role in ("plan", "result"):
            a, b = getattr(mine, role), getattr(theirs, role)
            if a is not None and b is not None and abs(a - b) > 1e-9:
                found.append(f"dòng {rid} {_ROLE_WORDS[role]} {vn_number(a)} / {vn_number(b)}")
    if not found:
        return None
    first, second = (_file_name(r.file) + (" (bản ký số)" if r.signatures else "") for r in (main, other))
    return Problem(
        ProblemCode.FIGURES_DIFFER,
        f"Hai tệp của cùng báo cáo số {main.doc_number} ghi số liệu khác nhau ({first} / {second}): "
        + "; ".join(found)
        + f" (số của {first} / số của {second}). Tạm lấy số của {first}; đề nghị đơn vị hoặc cán bộ xác định bản đúng.",
        f"{first} / {second}",
    )


def _file_name(path: str) -> str:
    return re.split(r"[\\/]", path or "")[-1] or "(không tên)"


def _settled_problem(problem: Problem, rows: set[str], sections: set[str]) -> bool:
    """A 'missing' problem of one file that another file of the same response answers."""
    if problem.code == "table_missing":
        return bool(rows)
    if problem.code in ("row_missing", "hidden_row_missing"):
        found = re.search(r"dòng (\S+) «", problem.message)
        return bool(found and found.group(1) in rows)
    if problem.code == "section_not_found":
        found = re.search(r"mục (\S+) \(", problem.message)
        return bool(found and found.group(1) in sections)
    return False


def plan_units(
    agencies: list[AgencyRef],
    classification: str,
    candidates: list[Candidate],
    *,
    sender: str | None,
    forwards: list[str],
    text: str,
    fallback_key: str,
    source_key: str,
    thread_recipient: int | None = None,
    tags: list[str] | None = None,
) -> list[Unit]:
    """Split a message into responses (several agencies' reports → several) and attribute each.

    A unit of a multi-agency message has an empty `source_key`: the caller names it after the
    stored document it rests on.
    """
    kind = KIND_OF_CLASS[MailKind(classification)]
    answers = sorted((c for c in candidates if c.is_answer), key=lambda c: c.rank)
    by_agency = _group_by_agency(answers)
    if len(by_agency) >= 2:
        return [
            Unit(
                group[0].result.kind,
                group[0].content_key,
                attribute(agencies, sender=None, document_agencies=[(code, group[0].result.agency.score)]),
                group[0],
                appendix_of=appendix_of(group[0], candidates),
            )
            for code, group in sorted(by_agency.items())
        ]
    best = answers[0] if answers else None
    # Copies of the best document (same group) do not vote: only it and other files do.
    group = next((g for g in by_agency.values() if best in g), [])
    doc_agencies = [
        (c.result.agency.id, c.result.agency.score)
        for c in candidates
        if c.result.agency.id and (c is best or all(c is not g for g in group))
    ]
    attribution = attribute(
        agencies,
        sender=sender,
        forward_senders=forwards,
        document_agencies=doc_agencies,
        text=text,
        thread_recipient=thread_recipient,
        tags=tags or (),
    )
    key = best.content_key if best is not None else fallback_key
    companions = [c for c in answers[1:] if best is not None and belongs_with(c.result, best.result)]
    unit = Unit(kind, key, attribution, best, source_key, companions, appendix_of(best, candidates))
    # An appendix of another report of the agency, sent beside this one: it joins that report
    # (or waits for it), never silently dropped.
    others: dict[str, Unit] = {}
    for c in answers[1:]:
        named = number_key(c.result.part_of)
        if c in companions or not named or best is None or best.result.part_of or named == number_key(best.result.doc_number):
            continue
        # One unit per report named (a PDF copy of the same appendix adds nothing).
        others.setdefault(named, Unit(c.result.kind, c.content_key, attribution, c, appendix_of=appendix_of(c, candidates)))
    return [unit, *others.values()]


def appendix_of(cand: Candidate | None, candidates: list[Candidate]) -> tuple[str, str | None] | None:
    """(number, date) of the report an appendix names, when no file of the message is that
    document (a cover letter "Công văn số X" sent with its spreadsheet is the report itself)."""
    if cand is None or cand.result.kind != "report" or not cand.result.part_of:
        return None
    if not _REPORT_NUMBER.search(cand.result.part_of):
        # "Kèm theo Công văn số 25/SYT-KHTC", or our own request's number copied from the
        # outline form: the spreadsheet is the agency's report, recorded as such.
        return None
    key = number_key(cand.result.part_of)
    if any(c is not cand and not c.result.part_of and number_key(c.result.doc_number) == key for c in candidates):
        return None
    return cand.result.part_of, cand.result.part_of_date


_NUMBER_FILLER = re.compile(r"[\s.\-–—_]")


def number_key(number: str | None) -> str:
    """A document number however it is spaced, dotted or dashed ("233/BC-ĐHPVĐ" = "233 /
    BC.ĐHPVĐ" = "233/BC ĐHPVĐ"); empty for none."""
    return _NUMBER_FILLER.sub("", (number or "").lower()).replace("đ", "d")


def names_number(text: str, number: str | None) -> bool:
    """Whether `text` cites the document number itself, not a longer one holding it ("8/BC-SXD"
    is not named by "88/BC-SXD" nor by "8/BC-SXDA")."""
    key = number_key(number)
    if not key or not text:
        return False
    # The number's characters with any filler between them, standing alone.
    body = f"{_NUMBER_FILLER.pattern}*".join(re.escape(ch) for ch in key)
    return re.search(rf"(?<![0-9a-z]){body}(?![0-9a-z])", text.lower().replace("đ", "d")) is not None


def belongs_with(part: ParseResult, main: ParseResult) -> bool:
    """Whether another file of the message completes the main report (req. 7): an appendix
    naming the main report's number belongs with it whoever its letterhead names; one naming
    another report does not; otherwise a report of the same (or no named) agency does."""
    if part.kind != "report":
        return False
    if part.part_of:
        return bool(main.doc_number) and number_key(part.part_of) == number_key(main.doc_number)
    return part.agency.id in (None, main.agency.id)


def names_report(part: ParseResult, number: str | None, date: str | None) -> bool:
    """Whether an appendix ("Kèm theo Báo cáo số X ngày D") names this report (req. 7): the
    same number (however spaced), and the same date when both give one."""
    if not part.part_of or not number or number_key(part.part_of) != number_key(number):
        return False
    return not (part.part_of_date and date) or part.part_of_date[:10] == str(date)[:10]


def _group_by_agency(answers: list[Candidate]) -> dict[str, list[Candidate]]:
    """Answers by the agency their letterhead names (best first: a PDF copy joins its Word
    original's agency through the shared document number)."""
    by_agency: dict[str, list[Candidate]] = {}
    by_number: dict[str, str] = {}
    for cand in answers:
        code = cand.result.agency.id
        if not code or cand.result.agency.score < DOCUMENT_VOTE:
            continue
        number = (cand.result.doc_number or "").replace(" ", "").lower()
        code = by_number.get(number, code) if number else code
        if number:
            by_number.setdefault(number, code)
        by_agency.setdefault(code, []).append(cand)
    return by_agency
