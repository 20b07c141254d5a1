"""Named fault points: places where a test (or `flows.dev.faults`) may simulate a crash.

Production code calls `hook("after_commit")` and the like; nothing is registered outside
tests, so a hook costs one dict lookup. A registered hook raises a BaseException or kills
the process (SIGKILL), to prove what survives a crash at exactly that point.
"""

from __future__ import annotations

from collections.abc import Callable

HOOKS: dict[str, Callable[[], None]] = {}


def hook(name: str) -> None:
    """Run the test hook registered under this name, if any."""
    if name in HOOKS:
        HOOKS[name]()
