"""The format-neutral document every reader produces and the outline matcher consumes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Para:
    """A paragraph of text, with what makes it look like a heading."""

    text: str
    style: str = ""
    bold: bool = False
    # The label Word's automatic numbering shows before the text ("2.1.", "a)"), if any.
    numbering: str = ""
    where: str = ""
    # The text split at its tab stops, when it has some ("1\tĐầu tư …\t5\t4\t80%"): a table
    # row typed as a line of text.
    cells: tuple[str, ...] = ()


@dataclass
class Table:
    """A table as a grid of cell texts (merged cells repeat their text, rows may be ragged)."""

    rows: list[list[str]]
    where: str = ""
    borderless: bool = False
    # Number of the first row in the source (a sheet's row number for Excel; 1 for Word).
    first_row: int = 1
    # Built from lines of text with tab stops, not a table of the document (a doubt).
    from_text: bool = False


Block = Para | Table


@dataclass
class Doc:
    """A document: blocks in reading order, plus footnotes."""

    blocks: list[Block] = field(default_factory=list)
    # Notes the reader could not place after the block carrying their mark (PDF; a mark on a
    # Word heading): kept in the result's extra_text. The Word reader places the others in
    # `blocks`, as "(chú thích: …)" paragraphs.
    footnotes: list[str] = field(default_factory=list)
    # What the reader left out and says so (parsers.model.Problem: hidden rows of a sheet …).
    problems: list = field(default_factory=list)

    @property
    def paragraphs(self) -> list[Para]:
        """The paragraphs only."""
        return [b for b in self.blocks if isinstance(b, Para)]

    @property
    def tables(self) -> list[Table]:
        """The tables only."""
        return [b for b in self.blocks if isinstance(b, Table)]
