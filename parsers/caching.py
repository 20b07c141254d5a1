"""The parsers' two kinds of cache, kept apart on purpose.

*Per outline* (`per_outline`): what is computed from a campaign's outline alone — its
sections' phrasings folded and their word weights (`outline._matcher`), its table rows' labels
prepared (`table._scorer`), its agencies' names folded and expanded, its topic and nil
phrases folded. The same for every document read against that outline: built on first use and
kept while the outline is in use (a handful of outlines per process).

*Per input*: plain `functools.lru_cache` on pure functions of a document's text (a text
folded, a cell's number parsed, a heading's score against a section). They only pay when a
text comes back (in the same document, or when agencies copy the outline's wording), and are
bounded. `bench/bench_parse.py --cold` empties these, never the per-outline ones.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def per_outline(maxsize: int) -> Callable[[F], F]:
    """`lru_cache(maxsize)` for a function of the outline's own data only, marked as such."""

    def wrap(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)
        cached.per_outline = True  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return wrap


def is_per_outline(obj: object) -> bool:
    """Whether a cached function holds per-outline data (kept by `--cold`)."""
    return bool(getattr(obj, "per_outline", False))
