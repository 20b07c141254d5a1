"""Text normalisation shared by the readers and the outline matcher.

`clean` is what every reader applies to text it hands out (NFC, no NBSP or zero-width
characters, whitespace collapsed). `fold` is for *matching* only (lowercase, no diacritics,
đ→d): never show folded text to a person.
"""

from __future__ import annotations

import re
import unicodedata

# Spaces Word and PDFs produce besides the ASCII one.
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\r\n\v\f"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACE_TABLE = {ord(c): " " for c in _SPACES} | {ord(c): None for c in _ZERO_WIDTH}
# Whether a text holds any of them: one search in C instead of a dict look-up per character
# (most text has none, and `str.translate` with a dict costs ~70 ns a character).
_SPECIAL = re.compile("[" + re.escape(_SPACES + _ZERO_WIDTH) + "]")
_WS = re.compile(r" {2,}")

# A "leader": a run of dots/ellipses/underscores/dashes left where an answer should go.
_LEADER_CHARS = ".…_·‥-–—"
_LEADER_RUN = re.compile(r"(?:[.…_·‥]\s*){3,}|…+")
_LEADER_TAIL = re.compile(r"(?:(?:[.…_·‥]\s*){3,}|…+)\s*[;,:]?")
_LEADER_ONLY = re.compile(r"^[\s.…_·‥:;,\-–—]*$")
_UNDERSCORES = re.compile(r"_{2,}")
_LEADING_PUNCT = re.compile(r"^\s*[;:,.]+\s*")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([;:,.])")
_ONLY_PUNCT = re.compile(r"^[;:,.\s]+$")
_NOT_WORD = re.compile(r"[^\w%]+")


def nfc(text: str) -> str:
    """NFC-normalise (Vietnamese typed on macOS or pasted from PDFs is often NFD)."""
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, NBSP and other spaces → space, zero-width removed, whitespace runs collapsed, stripped."""
    text = nfc(text)
    if _SPECIAL.search(text):
        text = text.translate(_SPACE_TABLE)
    if "  " in text:
        text = _WS.sub(" ", text)
    return text.strip()


def clean_lines(text: str) -> str:
    """Like `clean`, but keeps line breaks (each line cleaned, empty lines dropped)."""
    lines = (clean(line) for line in nfc(text).replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def strip_leaders(text: str) -> str:
    """Remove dotted/underscore leaders (`……`, `....`, `___`) and tidy the punctuation left behind."""
    out = _LEADER_TAIL.sub(" ", text)
    out = _UNDERSCORES.sub(" ", out)
    out = _WS.sub(" ", out).strip()
    # A leader usually ends with "…;" or "…." — drop the orphan punctuation.
    out = _LEADING_PUNCT.sub("", out)
    out = _SPACE_BEFORE_PUNCT.sub(r"\1", out)
    return _ONLY_PUNCT.sub("", out).strip()


def is_leader_only(text: str) -> bool:
    """True when the text is nothing but leaders and punctuation (an unfilled answer)."""
    return bool(_LEADER_ONLY.match(text))


def has_leader(text: str) -> bool:
    """True when the text contains a leader run (three or more dots, an ellipsis, underscores)."""
    return bool(_LEADER_RUN.search(text)) or "___" in text


def _fold_char(code: int) -> str | None:
    ch = chr(code)
    if unicodedata.category(ch) == "Mn":
        return None
    base = "".join(c for c in unicodedata.normalize("NFD", ch.lower()) if unicodedata.category(c) != "Mn")
    return base.replace("đ", "d")


# Latin-1, Latin Extended-A/B, combining marks and Latin Extended Additional (all Vietnamese).
_FOLD_TABLE = {
    code: _fold_char(code)
    for block in (range(0xC0, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00))
    for code in block
} | {ord(c): " " for c in _SPACES} | {ord(c): None for c in _ZERO_WIDTH}


# The same table as a list indexed by code point, for text whose characters all fall below
# its end (nearly all text): `str.translate` looks a list up about twice as fast as a dict.
_FOLD_END = "\u2070"
_FOLD_LIST: list[int | str | None] = list(range(ord(_FOLD_END)))
for _code, _folded_char in _FOLD_TABLE.items():
    if _code < ord(_FOLD_END):
        _FOLD_LIST[_code] = _folded_char


def fold(text: str) -> str:
    """Accent-folded lowercase for matching: 'Đề án Đo lường' → 'de an do luong'."""
    lower = text.lower()
    out = lower.translate(_FOLD_LIST if not lower or max(lower) < _FOLD_END else _FOLD_TABLE)
    if "  " in out:
        out = _WS.sub(" ", out)
    return out.strip()


# `fold`'s list with every character that is not a word character (nor %) made a space: folding
# and `_NOT_WORD` in one `str.translate`, the words then joined by single spaces. The same text
# as `_NOT_WORD` after `fold` (both are character by character; a run of non-word characters is
# one space, none at the ends) — checked on every code point below `_FOLD_END`, alone and
# between words, and on random mixed texts.
def _word_char(value: int | str | None) -> int | str | None:
    if value is None:
        return None
    out = _NOT_WORD.sub(" ", chr(value) if isinstance(value, int) else value)
    return ord(out) if len(out) == 1 else out


_FOLD_WORDS_LIST = [_word_char(value) for value in _FOLD_LIST]


def fold_words(text: str) -> str:
    """Folded, punctuation turned into spaces: good input for token-based fuzzy matching."""
    lower = text.lower()
    if not lower or max(lower) < _FOLD_END:
        return " ".join(lower.translate(_FOLD_WORDS_LIST).split())
    out = _NOT_WORD.sub(" ", fold(text))
    if "  " in out:
        out = _WS.sub(" ", out)
    return out.strip()


# Vietnamese alphabetical order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y,
# then (only to break ties) the tones: level, huyền, hỏi, ngã, sắc, nặng.
_VN_LETTERS = [
    "a", "a\u0306", "a\u0302", "b", "c", "d", "đ", "e", "e\u0302", "f", "g", "h", "i", "j", "k", "l",
    "m", "n", "o", "o\u0302", "o\u031b", "p", "q", "r", "s", "t", "u", "u\u031b", "v", "w", "x", "y", "z",
]
_VN_RANK = {letter: rank for rank, letter in enumerate(_VN_LETTERS)}
_VN_SHAPE = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter
_VN_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vn_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A sort key in Vietnamese dictionary order: letters first (đ after d, ơ after ô…),
    tones only to break ties; case-insensitive. Characters outside the alphabet sort by
    code point after the letters (digits before them)."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in clean(text).lower():
        parts = unicodedata.normalize("NFD", ch)
        base = parts[0] + "".join(c for c in parts[1:] if c in _VN_SHAPE)
        tone = next((_VN_TONE[c] for c in parts[1:] if c in _VN_TONE), 0)
        if base in _VN_RANK:
            letters.append(1000 + _VN_RANK[base])
        elif base.isdigit():
            letters.append(100 + int(base) if base.isascii() else 2000 + ord(base))
        elif base == " ":
            letters.append(0)
        else:
            letters.append(2000 + ord(parts[0]))
        tones.append(tone)
    return tuple(letters), tuple(tones)
