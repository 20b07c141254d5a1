"""Errors of the reports package (one root, typed subclasses)."""


class ReportsError(Exception):
    """A report could not be built; the message says where and what to do."""


class ReportTemplateError(ReportsError):
    """The Word template is missing or its tags are broken (e.g. after an edit in Word)."""
