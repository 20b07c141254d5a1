"""The replace rule (req. 5) as a pure decision."""

from __future__ import annotations

from parsers.model import ParseResult
from parsers.replacing import may_replace


def result(coverage: float, *, says: bool = False) -> ParseResult:
    return ParseResult(file="x.docx", kind="report", coverage=coverage, says_replaces=says, replaces_number="12/BC" if says else None)


def test_first_answer_is_always_taken():
    assert may_replace("report", result(0.0), None, min_coverage=0.2).replaces


def test_clear_coverage_or_a_new_version_replaces_and_a_thin_document_does_not():
    assert may_replace("report", result(0.8), "report", min_coverage=0.2, current_coverage=0.9).replaces
    assert may_replace("report", result(0.15), "report", min_coverage=0.2, current_coverage=0.15).replaces  # same depth
    thin = may_replace("report", result(0.06), "report", min_coverage=0.2, current_coverage=0.26)
    assert not thin.replaces and "6%" in thin.reason and "20%" in thin.reason
    assert not may_replace("report", result(0.1), "nil_report", min_coverage=0.2).replaces


def test_saying_it_replaces_is_enough_and_a_nil_after_a_report_is_doubtful():
    says = may_replace("report", result(0.05, says=True), "report", min_coverage=0.2, current_coverage=0.9)
    assert says.replaces and "12/BC" in says.reason
    assert not may_replace("nil_report", None, "report", min_coverage=0.2).replaces
    assert may_replace("nil_report", None, "nil_report", min_coverage=0.2).replaces
    assert not may_replace("report", None, "report", min_coverage=0.2).replaces  # nothing read
