"""From a format-neutral `Doc` to the `ParseResult` contract: identity, kind, sections, table."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import replace

from parsers import vnlegacy
from parsers.document import Block, Doc, Para
from parsers.identity import (
    doc_type,
    find_date,
    find_part_of,
    find_replaces,
    header_lines,
    looks_draft,
    read_identity,
)
from parsers.kind import NOT_REPORT_TYPES, classify
from parsers.model import (
    JOINT,
    Format,
    Indicator,
    OutlineSpec,
    ParseResult,
    Problem,
    ProblemCode,
    SectionText,
    problem_weight,
)
from parsers.outline import OutlineReading, folded_line, parse_label, read_outline
from parsers.period import period_problem
from parsers.table import outline_rows_named, read_indicators, tables_from_text
from parsers.textnorm import fold_words
from parsers.vocab import display_id


def interpret(doc: Doc, spec: OutlineSpec, *, file: str, fmt: str) -> ParseResult:
    """Read a document against the campaign's outline (never raises for the document's content)."""
    left_out = list(doc.problems)  # the reader's own (hidden rows …), whatever the document is
    doc = fix_legacy_text(doc)
    # PDF text breaks every line; Word text only where a heading was pasted from a PDF.
    doc = join_broken_lines(doc, headings_only=fmt != "pdf")
    if any(isinstance(b, Para) and b.cells for b in doc.blocks):
        doc = replace(doc, blocks=tables_from_text(doc.blocks))  # the table typed as tabbed lines
    reading = read_indicators(doc.tables, spec.rows)
    outline = read_outline(doc, spec, table_indices=set(reading.used_tables))
    top = header_lines(doc)
    identity = read_identity(
        doc,
        spec.agencies,
        body_lines=outline.body_lines,
        signature_lines=outline.signature_lines,
        header=top,
    )
    # What kind of document it is, from its own answers: sections filled by a group answer do not count.
    answered = sum(not s.empty and not s.group for s in outline.sections.values())
    none_sections = sum(not s.empty and s.explicit_none for s in outline.sections.values())
    values = sum(1 for ind in reading.indicators.values() if ind.plan or ind.result)
    none_rows = sum(1 for ind in reading.indicators.values() if ind.explicit_none)
    lines = [*outline.header_lines, *outline.body_lines]
    text = "\n".join(lines)
    # fold_words(text), line by line: folding works character by character, a line break is a
    # word break (and ends a word for lowercasing, as a string's end does), and the outline
    # has folded these lines already.
    folded = " ".join(f for line in lines if (f := folded_line(line)))
    dtype = doc_type(identity.doc_number, top)
    kind = classify(
        doc_type=dtype,
        text=text,
        spec=spec,
        headings_found=outline.headings_found,
        groups_found=outline.groups_found,
        answered_sections=answered,
        table_found=reading.found,
        table_values=values,
        none_sections=none_sections,
        opening="\n".join([*outline.header_lines, *outline.body_lines[:3]]),
        folded_text=folded,
    )
    result = ParseResult(
        file=file,
        format=fmt if fmt in _FORMATS else "unknown",
        kind=kind,
        agency=identity.agency,
        doc_number=identity.doc_number,
        doc_date=identity.doc_date,
        extra_text=outline.extra_text,
        doc_type=dtype,
    )
    if kind == "report":
        result.sections = outline.sections
        result.indicators = reading.indicators
        result.extra_rows = reading.extra_rows
        result.problems.extend(reading.problems)
        result.problems.extend(_missing(outline.sections, spec))
        result.closing = outline.closing
        result.groups = outline.groups
        result.problems.extend(_group_answered(outline, spec))
        result.problems.extend(outline.problems)
        wrong = period_problem(
            period=spec.period,
            request_date=spec.request_date,
            title_lines=top,
            column_headers=reading.column_headers,
            doc_date=_iso_date(identity.doc_date),
        )
        if wrong is not None:
            result.problems.append(wrong)
    elif kind == "nil_report" and (none_sections or none_rows):
        # A nil report in report form: its "Không" answers and "-" rows are kept as they are.
        result.sections = outline.sections
        result.indicators = reading.indicators
        result.closing = outline.closing
        result.groups = outline.groups
    else:
        result.sections = {s.id: SectionText() for s in spec.sections}
        result.indicators = {r.id: Indicator(label=r.label) for r in spec.rows}
        body = " ".join(outline.body_lines)
        result.extra_text = outline.extra_text or body
    if doc.footnotes:  # never dropped: the notes a reader could not place stay readable
        notes = " ".join(f"(chú thích: {note})" for note in doc.footnotes)
        result.extra_text = f"{result.extra_text} {notes}".strip()
    result.problems.extend(left_out)
    if kind == "report":
        result.problems.extend(_hidden_rows_missing(result.problems))
    _identity_of_part(result, top, outline)
    result.coverage = coverage(result)
    result.words = frozenset(folded.split())
    result.evidence = _evidence(result, dtype, outline, spec, folded, table_found=reading.found)
    if identity.agency.id is None:
        where = "khối tiêu đề" if identity.agency.name else ""
        result.problems.append(
            Problem(
                "agency_unknown",
                "Không xác định được đơn vị gửi trong danh sách đơn vị nhận công văn"
                + (f" (văn bản ghi: “{identity.agency.name}”)." if identity.agency.name else "."),
                where,
            )
        )
    if kind == "not_a_report" and identity.agency.id is not None and dtype not in NOT_REPORT_TYPES:
        _unrecognised(result, doc, spec, outline)
    result.confidence = confidence(result)
    return result


def _unrecognised(result: ParseResult, doc: Doc, spec: OutlineSpec, outline: OutlineReading) -> None:
    """A known agency's document with the outline's content (its table rows named in cells or
    lines, an outline heading) that could not be read as a report: never dropped in silence —
    a typed problem the intake turns into a review item (the agency has answered, perhaps)."""
    texts = [c for t in doc.tables for row in t.rows for c in row if c]
    texts += [b.text for b in doc.paragraphs]
    named = outline_rows_named(texts, spec.rows) if spec.rows else 0
    # A lone heading-like line is no evidence (a letter commenting on a draft plan has one).
    if named < 2 and not (named and outline.headings_found):
        return
    evidence = [f"{named} dòng của bảng định lượng"] if named else []
    if outline.headings_found:
        evidence.append(f"{outline.headings_found} đề mục")
    result.problems.append(
        Problem(
            ProblemCode.REPORT_NOT_RECOGNISED,
            f"Văn bản của {result.agency.name or result.agency.id} có nội dung theo đề cương ({', '.join(evidence)})"
            " nhưng không đọc được như một báo cáo; đề nghị cán bộ mở tệp kiểm tra, không coi là chưa nộp.",
            "",
        )
    )


def _identity_of_part(result: ParseResult, top: list[str], outline: OutlineReading) -> None:
    """Number and date from the header, else from an attachment note or the end of the letter;
    an appendix's report; "thay thế báo cáo số …"; a draft with its number/date left blank."""
    result.identity_where = "khối tiêu đề" if result.doc_number or result.doc_date else ""
    first = [*top, *outline.body_lines[:10]]
    result.part_of, part_date = find_part_of(first)
    result.part_of_date = part_date if result.part_of else None
    if result.doc_date is None:
        end = [*outline.body_lines[-6:], *outline.signature_lines]
        result.doc_date = find_date(end, strict=True)
        if result.doc_date:
            result.identity_where = "cuối văn bản / chữ ký"
    if result.part_of and result.doc_date is None and part_date:
        result.identity_where = "ghi chú «Kèm theo»"
    result.says_replaces, result.replaces_number = find_replaces(
        [*top, *outline.body_lines[:12]], [*outline.body_lines[12:], *outline.signature_lines]
    )
    if result.says_replaces:
        result.problems.append(
            Problem(
                ProblemCode.SAYS_REPLACES,
                "Văn bản ghi thay thế văn bản trước"
                + (f" (số {result.replaces_number})." if result.replaces_number else "."),
                "khối tiêu đề",
            )
        )
    blank = looks_draft(top)
    if result.kind != "not_a_report" and (blank or (result.doc_number is None and result.doc_date is None and not result.part_of)):
        result.draft = True
        result.problems.append(
            Problem(
                ProblemCode.DRAFT,
                "Văn bản chưa có số và ngày ban hành (có thể là bản dự thảo); đề nghị đơn vị gửi bản chính thức"
                " nếu có.",
                "khối tiêu đề",
            )
        )


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def coverage(result: ParseResult) -> float:
    """How much of the outline the document answers: sections and table rows, half each."""
    if result.kind != "report":
        return 0.0
    sections = len(result.answered_sections) / len(result.sections) if result.sections else 0.0
    rows = sum(1 for i in result.indicators.values() if i.answered) / len(result.indicators) if result.indicators else 0.0
    return round((sections + rows) / 2, 3)


def confidence(result: ParseResult) -> float:
    """0..1: every problem lowers it by its code's weight; a document with no agency, too."""
    value = 1.0
    for problem in result.problems:
        value *= problem_weight(problem.code)
    if result.kind == "report" and result.coverage < 0.15:
        value *= 0.8
    return round(max(0.0, min(1.0, value)), 3)


def _evidence(
    result: ParseResult, dtype: str, outline: OutlineReading, spec: OutlineSpec, folded: str, *, table_found: bool
) -> list[str]:
    """Why the kind was decided, in words a person can check (`folded`: the folded text)."""
    out = [f"{outline.headings_found}/{len(spec.sections)} đề mục của đề cương tìm thấy"]
    out.append(f"{len(result.answered_sections)}/{len(spec.sections)} mục có trả lời")
    if table_found:
        rows = sum(1 for i in result.indicators.values() if i.answered)
        out.append(f"bảng định lượng: {rows}/{len(spec.rows)} dòng có số liệu")
    if dtype:
        out.append(f"loại văn bản: {dtype}")
    topic = [w for w in spec.topic_words if fold_words(w) and fold_words(w) in folded]
    if topic:
        out.append("nhắc tới: " + ", ".join(topic))
    if result.part_of:
        out.append(f"kèm theo văn bản số {result.part_of}")
    return out


def fix_legacy_text(doc: Doc) -> Doc:
    """Decode TCVN3/VNI text that reached us without its font (PDF text, legacy conversions).

    The Word reader decodes by font; this pass only acts when the document as a whole reads
    as a legacy encoding, and then only on the paragraphs and cells that are not Unicode yet.
    """
    cells = [c for t in doc.tables for row in t.rows for c in row]
    texts = [*(b.text for b in doc.paragraphs), *cells]
    candidates = [t for t in texts if _maybe_legacy(t)]
    votes = Counter(vnlegacy.detect(t) for t in candidates[:300])
    own_votes = votes.pop("unicode", 0)
    if not votes:
        return doc
    # Lines with letters only Unicode has ("ư", "ạ", "đ") are votes for Unicode too.
    unicode_votes = own_votes + sum(1 for t in texts if _UNICODE_ONLY.search(t))
    encoding, legacy_votes = votes.most_common(1)[0]
    # A document typed in a legacy font throughout: short lines ("Sè: 312/BC-STC") are too
    # short to judge on their own, so the document decides.
    throughout = legacy_votes >= 2 * unicode_votes

    def fix(text: str) -> str:
        if not _maybe_legacy(text):
            return text
        # A Unicode line among legacy ones ("Báo cáo" typed later) must stay as it is.
        if not throughout and vnlegacy.detect(text) == "unicode" and not any(c in _LEGACY_ONLY for c in text):
            return text
        return vnlegacy.to_unicode(text, encoding)

    blocks: list[Block] = []
    for block in doc.blocks:
        if isinstance(block, Para):
            blocks.append(replace(block, text=fix(block.text)))
        else:
            blocks.append(replace(block, rows=[[fix(c) for c in row] for row in block.rows]))
    return Doc(blocks=blocks, footnotes=[fix(f) for f in doc.footnotes])


# Latin-1 symbols that never appear in Vietnamese text but are letters in TCVN3 or VNI.
_LEGACY_ONLY = set("¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷ÆæØøÑñÖöÛûÜüÏïÎîË")


_EIGHT_BIT = re.compile("[\x80-\xff]")
_UNICODE_ONLY = re.compile("[\u1ea0-\u1ef9ăđơưĂĐƠƯĩũĨŨ]")


def _maybe_legacy(text: str) -> bool:
    """Text with 8-bit letters and none of the letters only Unicode Vietnamese has."""
    return bool(_EIGHT_BIT.search(text)) and not _UNICODE_ONLY.search(text)


_TERMINAL = (".", ":", ";", "!", "?", "…", ")", "”", '"')


# "Công văn số 345/SYT-" + line end + "KHTC": a document code cut at its hyphen.
_CUT_CODE = re.compile(r"(/[^\W_]{1,20}(?:-[^\W_]{1,20})*-) (?=\w{2,})")


def _join_code(m: re.Match[str]) -> str:
    code = m.group(1)
    after = re.match(r"[\w&-]+", m.string[m.end() :])
    upper = after is not None and after.group(0).replace("-", "").isupper()
    return code if code[1:].replace("-", "").isupper() and upper else m.group(0)


def join_broken_lines(doc: Doc, *, headings_only: bool = False) -> Doc:
    """PDF text: a paragraph cut at a line end continues in lowercase on the next "paragraph";
    a document code cut at its hyphen is joined again.

    `headings_only`: join only after a labelled heading ("a) Về công tác … đáp" / "ứng yêu cầu
    …: ……"), the outline copied from the request's PDF into Word with its hard line breaks.
    """
    blocks: list[Block] = []
    for block in doc.blocks:
        if isinstance(block, Para) and not headings_only and "- " in block.text:
            block = replace(block, text=_CUT_CODE.sub(_join_code, block.text))
        prev = blocks[-1] if blocks else None
        if (
            isinstance(block, Para)
            and isinstance(prev, Para)
            and block.text[:1].islower()
            and not prev.text.rstrip().endswith(_TERMINAL)
            and not parse_label(block.text).kind
            and (not headings_only or bool(parse_label(prev.text, prev.numbering).kind))
        ):
            blocks[-1] = replace(prev, text=f"{prev.text} {block.text}", bold=prev.bold and block.bold)
        else:
            blocks.append(block)
    return Doc(blocks=blocks, footnotes=list(doc.footnotes))


_FORMATS: set[Format] = {"docx", "xlsx", "doc", "xls", "odt", "ods", "pdf", "zip"}


def _missing(sections: dict[str, SectionText], spec: OutlineSpec) -> list[Problem]:
    problems = []
    for s in spec.sections:
        found = sections.get(s.id)
        if found is None or not (found.where or not found.empty):
            problems.append(
                Problem(
                    "section_not_found",
                    f"Không tìm thấy mục {display_id(s.id)} (“{s.heading[:60]}…”) trong văn bản.",
                    "toàn văn bản",
                )
            )
    return problems


def _group_answered(outline: OutlineReading, spec: OutlineSpec) -> list[Problem]:
    """A group's text standing for sections it covers: the agency answered the group as a whole
    ("2.2. Phát triển hạ tầng đo lường: đầu tư 15 thiết bị …", "1.a và 1.b" in one paragraph).
    The text is recorded under each section it covers, marked as the group's (answered, not
    missing); a person may still split it. The problem names those sections."""
    problems = []
    headings = {g.id: g.heading for g in spec.groups}
    for key, text in outline.groups.items():
        covered = [sid for sid, t in outline.sections.items() if t.group == key]
        if not covered:
            continue
        items = ", ".join(display_id(sid) for sid in covered)
        if JOINT in key:
            whose = f"Một đoạn trả lời chung các mục {items}"
        else:
            whose = f"Nhóm {display_id(key)} (“{headings.get(key, '')[:50]}…”) được trả lời chung cho các mục {items}"
        problems.append(
            Problem(
                ProblemCode.GROUP_ANSWERED,
                f"{whose}, không tách theo từng mục: “{text.text[:80].rstrip('. ')}”. Nội dung được ghi"
                " cho từng mục đó (ghi rõ là trả lời chung); cần xem có tách được theo mục không.",
                text.where,
                sections=tuple(covered),
            )
        )
    return problems


def _hidden_rows_missing(problems: list[Problem]) -> list[Problem]:
    """A row of the outline's table not found in what a spreadsheet shows, while the sheet
    hides rows that hold something: its figures may be in the hidden rows (a collapsed group).
    Blocking — a person opens the file — never the row silently blank."""
    hidden = next((p for p in problems if p.code == "hidden_content"), None)
    if hidden is None:
        return []
    out = []
    for p in problems:
        found = re.match(r"Không tìm thấy dòng (\S+) «", p.message) if p.code == "row_missing" else None
        if found:
            out.append(
                Problem(
                    "hidden_row_missing",
                    f"Không tìm thấy dòng {found.group(1)} «{p.message.split('«', 1)[1].split('»', 1)[0]}» trong phần đang hiện"
                    " của bảng tính, mà bảng tính có dòng ẩn chứa nội dung: số liệu của dòng này có thể nằm trong"
                    " dòng ẩn (nhóm dòng thu gọn). Cán bộ mở tệp kiểm tra.",
                    hidden.where,
                )
            )
    return out
