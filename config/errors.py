"""Errors of the configuration package."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A configuration file or value is wrong; the message says where and what."""

    def __init__(
        self,
        message: str,
        source: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.source = str(source) if source is not None else None
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, f"trường {self.field}" if self.field else "", self.reason) if p]
        return ": ".join(parts)
