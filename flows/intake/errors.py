"""The intake package's root exception (review refusals, folder problems)."""

from __future__ import annotations

from flows.errors import FlowsError


class IntakeError(FlowsError):
    """Something about incoming mail or files that a person must fix (message in Vietnamese)."""
