"""Typed results of parsing, and the outline spec parsers match against.

Parsers are pure: they never import our config, storage or flows. The caller turns a campaign
into an `OutlineSpec` and gets back a `ParseResult` whose `to_json()` is the contract of
`baocao parse --json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["docx", "xlsx", "doc", "xls", "odt", "ods", "pdf", "zip", "unknown"]
Kind = Literal["report", "nil_report", "not_a_report"]


@dataclass(frozen=True)
class SectionSpec:
    """A narrative section to find: id, heading and the short forms people use."""

    id: str
    heading: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSpec:
    """A table row to find: id, group (I, II) and label."""

    id: str
    group: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgencySpec:
    """A known agency (recipient): its id, official name and short names."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutlineSpec:
    """Everything a parser needs to know about a campaign."""

    sections: tuple[SectionSpec, ...]
    rows: tuple[RowSpec, ...]
    agencies: tuple[AgencySpec, ...] = ()
    # Headings of groups (1, 2, 2.1 …) that have no text of their own.
    groups: tuple[SectionSpec, ...] = ()
    # Words that mark a document as belonging to this campaign (e.g. "996").
    topic_words: tuple[str, ...] = ()
    nil_phrases: tuple[str, ...] = ()
    table_title: str = ""


@dataclass
class Problem:
    """Something a person should know about a parsed file (message in Vietnamese)."""

    code: str
    message: str
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "where": self.where}


@dataclass
class ParseError:
    """Why a file could not be parsed at all."""

    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass
class SectionText:
    """What the document says under one section."""

    text: str = ""
    empty: bool = True
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "empty": self.empty}


@dataclass
class Indicator:
    """One table row: numbers, the raw cell texts and where they were found."""

    plan: float | None = None
    result: float | None = None
    rate: float | None = None
    raw: dict[str, str] = field(default_factory=dict)
    where: str = ""
    rate_computed: bool = False
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": _num(self.plan),
            "result": _num(self.result),
            "rate": _num(self.rate),
            "raw": dict(self.raw),
            "where": self.where,
        }


@dataclass
class ExtraRow:
    """A row of the agency's own, not in the outline."""

    label: str
    plan: float | None = None
    result: float | None = None
    rate: float | None = None
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "plan": _num(self.plan),
            "result": _num(self.result),
            "rate": _num(self.rate),
        }


@dataclass
class Agency:
    """Who the document says it comes from."""

    id: str | None = None
    name: str | None = None
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "score": round(self.score, 3)}


@dataclass
class ParseResult:
    """Everything read from one file (the contract of `baocao parse --json`)."""

    file: str
    format: Format = "unknown"
    kind: Kind = "not_a_report"
    agency: Agency = field(default_factory=Agency)
    doc_number: str | None = None
    doc_date: str | None = None
    sections: dict[str, SectionText] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    extra_rows: list[ExtraRow] = field(default_factory=list)
    extra_text: str = ""
    problems: list[Problem] = field(default_factory=list)
    members: list[ParseResult] = field(default_factory=list)
    error: ParseError | None = None
    # Not in the JSON contract: the sha256 of the bytes and the original member name.
    sha256: str = ""
    scanned: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "kind": self.kind,
            "agency": self.agency.to_json(),
            "doc_number": self.doc_number,
            "doc_date": self.doc_date,
            "sections": {k: v.to_json() for k, v in self.sections.items()},
            "indicators": {k: v.to_json() for k, v in self.indicators.items()},
            "extra_rows": [r.to_json() for r in self.extra_rows],
            "extra_text": self.extra_text,
            "problems": [p.to_json() for p in self.problems],
            "members": [m.to_json() for m in self.members],
            "error": self.error.to_json() if self.error else None,
        }

    @property
    def answered_sections(self) -> list[str]:
        """Ids of the sections with an answer."""
        return [k for k, v in self.sections.items() if not v.empty]

    @property
    def missing_sections(self) -> list[str]:
        """Ids of the sections without an answer."""
        return [k for k, v in self.sections.items() if v.empty]

    @property
    def missing_rows(self) -> list[str]:
        """Ids of the table rows with neither plan nor result."""
        return [k for k, v in self.indicators.items() if v.plan is None and v.result is None]


def _num(value: float | None) -> int | float | None:
    """Whole numbers as ints in JSON (1250, not 1250.0)."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return value
