"""The flows package's root exception: every error our edges raise on purpose derives from it,
so a caller can tell ours (a message in Vietnamese, one line) from a bug (a traceback)."""

from __future__ import annotations


class FlowsError(Exception):
    """Something the application refuses or cannot do, said in Vietnamese."""
