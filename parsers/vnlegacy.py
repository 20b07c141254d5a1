"""Legacy 8-bit Vietnamese encodings (TCVN3/ABC and VNI) → Unicode.

Documents typed before Unicode carry Vietnamese in fonts that re-draw Latin-1 glyphs:
`.VnTime` (TCVN3, one byte per letter; the `…H` fonts are capitals only) and `VNI-Times`
(VNI, a base letter followed by a mark byte). Word stores the bytes as the Windows-1252
characters they would be in a normal font, so `"ViÖt Nam"` in `.VnTime` means "Việt Nam".

`convert_run(text, font)` decides by the font name; `detect(text)` guesses from the text
when no font says so (a run without rFonts, a plain-text paste).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Encoding = Literal["tcvn3", "vni", "unicode"]

# TCVN 5712:1993 (VN1 superset of TCVN3/ABC), bytes 0x80..0xFF as Unicode (checked against
# glibc's TCVN5712-1 converter). 0xB0..0xB4 are combining tone marks.
_TCVN3_HIGH = (
    "\xc0\u1ea2\xc3\xc1\u1ea0\u1eb6\u1eac\xc8\u1eba\u1ebc\xc9\u1eb8\u1ec6\xcc\u1ec8\u0128"
    "\xcd\u1eca\xd2\u1ece\xd5\xd3\u1ecc\u1ed8\u1edc\u1ede\u1ee0\u1eda\u1ee2\xd9\u1ee6\u0168"
    "\xa0\u0102\xc2\xca\xd4\u01a0\u01af\u0110\u0103\xe2\xea\xf4\u01a1\u01b0\u0111\u1eb0"
    "\u0300\u0309\u0303\u0301\u0323\xe0\u1ea3\xe3\xe1\u1ea1\u1eb2\u1eb1\u1eb3\u1eb5\u1eaf\u1eb4"
    "\u1eae\u1ea6\u1ea8\u1eaa\u1ea4\u1ec0\u1eb7\u1ea7\u1ea9\u1eab\u1ea5\u1ead\xe8\u1ec2\u1ebb\u1ebd"
    "\xe9\u1eb9\u1ec1\u1ec3\u1ec5\u1ebf\u1ec7\xec\u1ec9\u1ec4\u1ebe\u1ed2\u0129\xed\u1ecb\xf2"
    "\u1ed4\u1ecf\xf5\xf3\u1ecd\u1ed3\u1ed5\u1ed7\u1ed1\u1ed9\u1edd\u1edf\u1ee1\u1edb\u1ee3\xf9"
    "\u1ed6\u1ee7\u0169\xfa\u1ee5\u1eeb\u1eed\u1eef\u1ee9\u1ef1\u1ef3\u1ef7\u1ef9\xfd\u1ef5\u1ed0"
)
_TCVN3 = {0x80 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}

# VNI-Windows: per vowel row, the spellings of base, sắc, huyền, hỏi, ngã, nặng.
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VNI_ROWS = {
    "a": ("a", "aù", "aø", "aû", "aõ", "aï"),
    "â": ("aâ", "aá", "aà", "aå", "aã", "aä"),
    "ă": ("aê", "aé", "aè", "aú", "aü", "aë"),
    "e": ("e", "eù", "eø", "eû", "eõ", "eï"),
    "ê": ("eâ", "eá", "eà", "eå", "eã", "eä"),
    "o": ("o", "où", "oø", "oû", "oõ", "oï"),
    "ô": ("oâ", "oá", "oà", "oå", "oã", "oä"),
    "ơ": ("ô", "ôù", "ôø", "ôû", "ôõ", "ôï"),
    "u": ("u", "uù", "uø", "uû", "uõ", "uï"),
    "ư": ("ö", "öù", "öø", "öû", "öõ", "öï"),
    "i": ("i", "í", "ì", "æ", "ó", "ò"),
    "y": ("y", "yù", "yø", "yû", "yõ", "î"),
}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {"ñ": "đ", "Ñ": "Đ"}
    for vowel, spellings in _VNI_ROWS.items():
        for tone, spelling in zip(_TONES, spellings, strict=True):
            if spelling in {"a", "e", "o", "u", "i", "y"}:
                continue
            uni = unicodedata.normalize("NFC", vowel + tone)
            table[spelling] = uni
            table[spelling.upper()] = uni.upper()
    return table


_VNI = _vni_table()
_VNI_PAIRS = {k: v for k, v in _VNI.items() if len(k) == 2}
_VNI_SINGLE = {k: v for k, v in _VNI.items() if len(k) == 1}
# Characters Unicode Vietnamese text has and neither legacy encoding produces from Latin-1.
_UNICODE_VN = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")
_VN_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_HIGH_CHARS = "".join(
    c for c in map(chr, range(0x80, 0x100)) if c not in _VN_LATIN1 and c != "\xa0"
) + "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020-\u2022\u2030\u2039\u203a\u20ac\u2122"
# Typographic quotes, dashes and the ellipsis are ordinary in Unicode Vietnamese text: they do
# not count against reading a text as Unicode (in TCVN3 they are capitals nobody types).
_HIGH = re.compile("[" + _HIGH_CHARS + "]")


def font_encoding(font: str | None) -> Encoding | None:
    """The legacy encoding a font name implies (`.VnTime` → tcvn3, `VNI-Times` → vni), else None."""
    if not font:
        return None
    name = font.strip().lower()
    if name.startswith(".vn"):
        return "tcvn3"
    if name.startswith(("vni-", "vni ", "vni_")):
        return "vni"
    return None


def is_caps_font(font: str | None) -> bool:
    """TCVN3 'H' fonts (`.VnTimeH`, `.VnArialH`) draw every letter as a capital."""
    if not font:
        return False
    name = font.strip()
    return name.lower().startswith(".vn") and name.endswith("H")


def _byte(ch: str) -> int | None:
    """The 8-bit code Word meant by a character in a legacy-font run."""
    code = ord(ch)
    if 0xF000 <= code <= 0xF0FF:  # symbol-font private-use mapping
        return code - 0xF000
    if code < 0x100:
        return code
    try:
        return ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        return None


def tcvn3_to_unicode(text: str, *, caps: bool = False) -> str:
    """Decode TCVN3 text (as Word stores it) to NFC Unicode; `caps` for the …H fonts."""
    out = []
    for ch in text:
        code = _byte(ch)
        out.append(_TCVN3.get(code, ch) if code is not None and code >= 0x80 else ch)
    result = unicodedata.normalize("NFC", "".join(out))
    return result.upper() if caps else result


def vni_to_unicode(text: str) -> str:
    """Decode VNI-Windows text (as Word stores it) to NFC Unicode."""
    chars = ["" if _byte(c) is None else chr(_byte(c) or 0) for c in text]
    chars = [c or orig for c, orig in zip(chars, text, strict=True)]
    out: list[str] = []
    i = 0
    while i < len(chars):
        pair = "".join(chars[i : i + 2])
        if len(pair) == 2 and pair in _VNI_PAIRS:
            out.append(_VNI_PAIRS[pair])
            i += 2
            continue
        out.append(_VNI_SINGLE.get(chars[i], text[i]))
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"[aăâeêioôơuưy]{1,3}"
    r"(?:ch|ng|nh|[cmnpt])?$"
)
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=8192)
def _is_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable (at most one tone mark)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return bool(_SYLLABLE.match(bare))


def _plausibility(text: str) -> float:
    """Share of the words of a text that are Vietnamese syllables, minus leftover symbols."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    good = sum(_is_syllable(w) for w in words)
    leftovers = len(_HIGH.findall(text))
    return good / len(words) - leftovers / max(len(text), 1)


def detect(text: str) -> Encoding:
    """Guess the encoding of a text without a font: unicode, tcvn3 or vni."""
    if _UNICODE_VN.search(text) or not any(ord(c) >= 0x80 for c in text):
        return "unicode"
    scores: dict[Encoding, float] = {
        "unicode": _plausibility(text),
        "tcvn3": _plausibility(tcvn3_to_unicode(text)),
        "vni": _plausibility(vni_to_unicode(text)),
    }
    best = max(scores, key=lambda k: scores[k])
    # Demand a clear win over leaving the text alone (French or German names stay as they are).
    if best != "unicode" and (scores[best] < scores["unicode"] + 0.1 or scores[best] < 0.5):
        return "unicode"
    return best


def to_unicode(text: str, encoding: Encoding, *, caps: bool = False) -> str:
    """Decode text in a known encoding."""
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text, caps=caps)
    if encoding == "vni":
        return vni_to_unicode(text)
    return text


def convert_run(text: str, font: str | None) -> str:
    """Unicode text of a run: decoded by its font if it is a legacy font, else as is."""
    encoding = font_encoding(font)
    if encoding is None:
        return text
    return to_unicode(text, encoding, caps=is_caps_font(font))


def fix_text(text: str) -> str:
    """Decode a text of unknown origin if it clearly is TCVN3 or VNI (no font to go by)."""
    encoding = detect(text)
    return text if encoding == "unicode" else to_unicode(text, encoding)


def _reverse_tcvn3() -> dict[str, str]:
    rev: dict[str, str] = {}
    for code, ch in sorted(_TCVN3.items(), reverse=True):
        if ch != "\xa0" and not unicodedata.combining(ch):
            rev[ch] = bytes([code]).decode("cp1252", errors="ignore") or chr(code)
    return rev


def from_unicode(text: str, encoding: Encoding) -> str:
    """Encode Unicode into a legacy encoding as Word would store it (for tests and fixtures)."""
    text = unicodedata.normalize("NFC", text)
    if encoding == "tcvn3":
        rev = _reverse_tcvn3()
        return "".join(rev.get(c, c) for c in text)
    if encoding == "vni":
        rev = {v: k for k, v in _VNI.items()}
        return "".join(rev.get(c, c) for c in text)
    return text
