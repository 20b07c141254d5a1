"""Opening a .docx without building the tree of its whole style sheet.

python-docx parses every XML part when it opens a package; word/styles.xml is the largest by
far (Word's and python-docx's templates carry hundreds of styles, 50–350 KB) while the Word
reader looks up a handful of them. Here the package is opened with python-docx's own reader
and part factory, except that a styles part is only checked to be well-formed (libxml2 with no
tree, same parser options: the same documents pass, and a damaged one is then parsed by
python-docx itself, so it fails with its own error at the same point of the open). The reader
then asks `StyleSheet` for the few styles it uses: each is cut out of the bytes and parsed on
its own — only when the layout is one whose top-level elements can be told apart in the bytes
for certain (see `_index`); otherwise the whole sheet is parsed, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = "{" + W_NS + "}"


class _NoEvents:
    """A parser target that asks libxml2 for no events: the document is only checked."""

    def close(self) -> None:
        return None


def well_formed(blob: bytes) -> bool:
    """Whether python-docx's parser would accept `blob` (same options, no tree built)."""
    checker = etree.XMLParser(target=_NoEvents(), remove_blank_text=True, resolve_entities=False)
    try:
        etree.fromstring(blob, checker)
    except (etree.LxmlError, ValueError):
        return False
    # A namespace error (a QName with two colons, an unbound prefix) stops a tree but not a
    # target: anything logged at all leaves the decision to the real parse.
    return len(checker.error_log) == 0


def open_document(stream: IO[bytes]):  # -> docx.document.Document
    """`docx.Document(stream)` with the styles part kept as bytes until it is asked for.

    The same steps as `docx.Document` / `OpcPackage.open` (reader, unmarshal, the content-type
    check with python-docx's own message); nothing of python-docx's global state is changed.
    """
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.package import Unmarshaller
    from docx.opc.part import PartFactory
    from docx.opc.pkgreader import PackageReader
    from docx.package import Package

    def factory(partname, content_type, reltype, blob, package):  # noqa: ANN001, ANN202
        if content_type == CT.WML_STYLES and well_formed(blob):
            return _lazy_styles_part()(partname, content_type, blob, package)
        return PartFactory(partname, content_type, reltype, blob, package)

    pkg_reader = PackageReader.from_file(stream)
    package = Package()
    Unmarshaller.unmarshal(pkg_reader, package, factory)
    document_part = package.main_document_part
    if document_part.content_type != CT.WML_DOCUMENT_MAIN:
        tmpl = "file '%s' is not a Word file, content type is '%s'"
        raise ValueError(tmpl % (stream, document_part.content_type))
    return document_part.document


_LAZY_CLASS: type | None = None


def _lazy_styles_part() -> type:
    """A `StylesPart` whose element is parsed on first use (python-docx imported lazily)."""
    global _LAZY_CLASS
    if _LAZY_CLASS is None:
        from docx.opc.part import Part
        from docx.oxml.parser import parse_xml
        from docx.parts.styles import StylesPart

        class LazyStylesPart(StylesPart):
            def __init__(self, partname, content_type, blob: bytes, package) -> None:  # noqa: ANN001
                Part.__init__(self, partname, content_type, blob, package)
                self.raw = blob
                self._parsed: etree._Element | None = None

            @property
            def _element(self):  # type: ignore[override]  # noqa: ANN202 - XmlPart's element, parsed when asked
                if self._parsed is None:
                    self._parsed = parse_xml(self.raw)
                return self._parsed

            @property
            def blob(self) -> bytes:
                return self.raw if self._parsed is None else super().blob

        _LAZY_CLASS = LazyStylesPart
    return _LAZY_CLASS


def raw_styles(part: object) -> bytes | None:
    """The unparsed bytes of a styles part opened by `open_document`, else None."""
    if _LAZY_CLASS is None or not isinstance(part, _LAZY_CLASS):
        return None
    raw: bytes = part.raw  # type: ignore[attr-defined]
    return raw


# ---- the style sheet's top-level elements, told apart in the bytes --------------------------
# Only for the layout every Word / LibreOffice / python-docx sheet has: UTF-8, no comment,
# CDATA, DOCTYPE or processing instruction past the XML declaration, `w` bound on the root to
# WordprocessingML (and rebound on no child of it), the namespace named nowhere else, the
# root's children `w:` elements separated by whitespace, attributes in double quotes. Then, the
# bytes being well-formed (`well_formed`, checked when the package was opened), a child
# `<w:N …>` ends at the first `</w:N>` after it when no other `w:N` comes in between, and a
# sequence of such children up to the last `</w:styles>` is exactly the root's children.
# (Single bytes are searched with memchr; a search for `<!--` would cost 50 times as much,
# '<' being everywhere.)
_HEAD = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml(?P<decl>[^?<>]*)\?>)?\s*(?P<root><w:styles(?P<rattrs>[^<>]*)>)\s*"
)
_CHILD = re.compile(rb"<w:([A-Za-z][\w.-]*)([^<>]*)>")
_ATTR = re.compile(rb'\s+([^\s="]+)\s*=\s*"([^"]*)"')
_SPACE = re.compile(rb"\s*")
_XMLNS_W = re.compile(rb"xmlns:w\s*=")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([^\"']*)[\"']")
_UNSURE_VALUE = re.compile(rb"[&\t\n\r]")
_END = b"</w:styles>"
_W_NS_BYTES = W_NS.encode()


@dataclass
class StyleSheet:
    """What the reader needs of styles.xml: the defaults and the styles by id."""

    blob: bytes
    root_tag: bytes
    spans: list[tuple[int, int]]  # every top-level w:style, (start, end) in the bytes
    by_id: dict[str, int]  # style id ("" for none) → index in spans of the last such style
    defaults: list[tuple[int, int]]  # the docDefaults and the styles with a w:default, in order
    _elements: dict[int, etree._Element] = field(default_factory=dict)

    def _parse(self, spans: list[tuple[int, int]]) -> etree._Element:
        from docx.oxml.parser import parse_xml

        blob = self.blob
        return parse_xml(self.root_tag + b"".join(blob[start:end] for start, end in spans) + _END)

    def defaults_root(self) -> etree._Element:
        """A `w:styles` holding the sheet's docDefaults and its styles marked default, in order."""
        return self._parse(self.defaults)

    def style(self, sid: str) -> etree._Element | None:
        """The `w:style` with this id (the last of a duplicated id), parsed on its own."""
        i = self.by_id.get(sid)
        if i is None:
            return None
        if i not in self._elements:
            self._elements[i] = self._parse([self.spans[i]])[0]
        return self._elements[i]


def style_sheet(blob: bytes) -> StyleSheet | None:
    """The sheet's top-level elements from its bytes, or None when that cannot be sure."""
    head = _plain_head(blob)
    end = blob.rfind(_END)
    if head is None or end < 0 or blob[end + len(_END) :].strip():
        return None
    spans: list[tuple[int, int]] = []
    defaults: list[tuple[int, int]] = []
    by_id: dict[str, int] = {}
    pos = head.end()
    find, match_child, match_space = blob.find, _CHILD.match, _SPACE.match
    while pos < end:
        m = match_child(blob, pos)
        if m is None:
            return None
        name, raw = m.group(1, 2)
        if raw.endswith(b"/"):
            stop = m.end()
        else:
            # the first `w:N` after the start tag must be the `</w:N>` closing it
            close = find(b"w:" + name, m.end(), end)
            stop = close + len(name) + 3
            if close < 0 or blob[close - 2 : close] != b"</" or blob[stop - 1 : stop] != b">":
                return None
        if name == b"style":
            attrs = _attrs(raw)
            if attrs is None or b"xmlns" in raw and any(_XMLNS_W.match(n + b"=") for n in attrs):
                return None
            by_id[attrs.get(b"w:styleId", b"").decode("utf-8")] = len(spans)
            spans.append((pos, stop))
            if b"w:default" in attrs:
                defaults.append((pos, stop))
        elif b"xmlns" in raw and ((attrs := _attrs(raw)) is None or any(_XMLNS_W.match(n + b"=") for n in attrs)):
            return None
        elif name == b"docDefaults":
            defaults.append((pos, stop))
        pos = match_space(blob, stop).end()  # type: ignore[union-attr]  # \s* always matches
    if pos != end:
        return None
    return StyleSheet(blob, head.group("root"), spans, by_id, defaults)


def _plain_head(blob: bytes) -> re.Match[bytes] | None:
    """The prolog and root tag, when the bytes are UTF-8, `w` is bound on the root to
    WordprocessingML (the namespace named nowhere else) and nothing but elements, text and
    the XML declaration is in them (no comment, CDATA, DOCTYPE, processing instruction)."""
    head = _HEAD.match(blob)
    if head is None or blob.count(_W_NS_BYTES) != 1:
        return None
    decl = head.group("decl")
    if decl is not None and (enc := _ENCODING.search(decl)) and enc.group(1).lower() not in {b"utf-8", b"utf8"}:
        return None
    root = head.start("root")
    if not (_single_after(blob, b"<", b"!", root) and _single_after(blob, b"<", b"?", root)):
        return None
    root_attrs = _attrs(head.group("rattrs"))
    if root_attrs is None or root_attrs.get(b"xmlns:w") != _W_NS_BYTES:
        return None
    return head


def _single_after(blob: bytes, before: bytes, char: bytes, start: int) -> bool:
    """No `before + char` in blob from `start` on (`char` is rare: found with memchr)."""
    i = blob.find(char, start)
    while i >= 0:
        if blob[i - 1 : i] == before:
            return False
        i = blob.find(char, i + 1)
    return True


def _attrs(raw: bytes) -> dict[bytes, bytes] | None:
    """A start tag's attributes (name as written → value), None unless every one is in double
    quotes and no value holds a reference or a character XML would normalise (then the bytes
    are the value, and the tag's first `>` is its end)."""
    raw = raw.removesuffix(b"/")
    if b"'" in raw or raw.count(b'"') % 2:
        return None
    out = dict(_ATTR.findall(raw))  # well-formed: the tag holds nothing but its attributes
    unsure = b"&" in raw or b"\t" in raw or b"\n" in raw or b"\r" in raw  # (between attributes is fine)
    if unsure and any(_UNSURE_VALUE.search(v) for v in out.values()):
        return None
    return out
