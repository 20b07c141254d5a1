"""From a format-neutral `Doc` to the `ParseResult` contract: identity, kind, sections, table."""

from __future__ import annotations

from parsers.document import Doc
from parsers.identity import read_identity
from parsers.kind import classify
from parsers.model import Format, Indicator, OutlineSpec, ParseResult, Problem, SectionText
from parsers.outline import read_outline
from parsers.table import read_indicators


def interpret(doc: Doc, spec: OutlineSpec, *, file: str, fmt: str) -> ParseResult:
    """Read a document against the campaign's outline (never raises for the document's content)."""
    reading = read_indicators(doc.tables, spec.rows)
    outline = read_outline(doc, spec, table_indices=set(reading.used_tables))
    identity = read_identity(
        doc, spec.agencies, body_lines=outline.body_lines, signature_lines=outline.signature_lines
    )
    answered = sum(not s.empty for s in outline.sections.values())
    values = sum(
        1 for ind in reading.indicators.values() if ind.plan is not None or ind.result is not None
    )
    text = "\n".join([*outline.header_lines, *outline.body_lines])
    kind = classify(
        text=text,
        spec=spec,
        headings_found=outline.headings_found,
        groups_found=outline.groups_found,
        answered_sections=answered,
        table_found=reading.found,
        table_values=values,
    )
    result = ParseResult(
        file=file,
        format=fmt if fmt in _FORMATS else "unknown",  # type: ignore[arg-type]
        kind=kind,
        agency=identity.agency,
        doc_number=identity.doc_number,
        doc_date=identity.doc_date,
        extra_text=outline.extra_text,
    )
    if kind == "report":
        result.sections = outline.sections
        result.indicators = reading.indicators
        result.extra_rows = reading.extra_rows
        result.problems.extend(reading.problems)
        result.problems.extend(_missing(outline.sections, spec))
    else:
        result.sections = {s.id: SectionText() for s in spec.sections}
        result.indicators = {r.id: Indicator(label=r.label) for r in spec.rows}
        body = " ".join(outline.body_lines)
        result.extra_text = outline.extra_text or body
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
    return result


_FORMATS: set[Format] = {"docx", "xlsx", "doc", "xls", "odt", "ods", "pdf", "zip"}


def _missing(sections: dict[str, SectionText], spec: OutlineSpec) -> list[Problem]:
    problems = []
    for s in spec.sections:
        found = sections.get(s.id)
        if found is None or not found.where:
            problems.append(
                Problem(
                    "section_not_found",
                    f"Không tìm thấy mục {s.id} (“{s.heading[:60]}…”) trong văn bản.",
                    "toàn văn bản",
                )
            )
    return problems
