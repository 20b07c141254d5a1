"""Headers of the mail we send, encoded so that every decoder gives back exactly our text.

Why not the standard library's folding: Python 3.11's `email.policy` folds a long non-ASCII
Subject into encoded-words that end or start at a space, and RFC 2047 (section 6.2) says the
whitespace between two encoded-words is dropped, so "V/v phối hợp" arrives as "V/vphối hợp";
it also cuts a display name inside a word and mixes B and Q words ("Quả ng Ngãi" in some
clients). Here each encoded-word holds whole words *with their following space inside it*,
all words are UTF-8 base64, a word is cut only when one word alone is longer than a line, and
every line stays within 76 characters (RFC 2047 section 2). Display names: see
`encode_display_name`.
"""

from __future__ import annotations

import base64
import re
from email.headerregistry import Address
from email.policy import EmailPolicy
from email.utils import formataddr
from typing import Any

# Lines holding encoded-words stay within 76 characters (RFC 2047 §2); an encoded-word ≤ 75.
LINE = 76
WORD = 75
_PREFIX, _SUFFIX = "=?utf-8?b?", "?="
_TOKENS = re.compile(r"\s*\S+\s*|\s+")
# A word that may stand unencoded in a display name (RFC 5322 atext).
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
# Headers we encode ourselves; every other one is left to the standard policy.
UNSTRUCTURED = frozenset({"subject", "comments"})
ADDRESSES = frozenset({"from", "to", "cc", "reply-to", "sender"})
# Headers of message identifiers: folded only between two ids, never inside one (the standard
# policy moves a long id to a line of its own, and readers then see " <id>" with a space).
IDENTIFIERS = frozenset({"message-id", "in-reply-to", "references"})


def _encoded_len(text: str) -> int:
    return len(_PREFIX) + 4 * -(-len(text.encode("utf-8")) // 3) + len(_SUFFIX)


def _word(text: str) -> str:
    return _PREFIX + base64.b64encode(text.encode("utf-8")).decode("ascii") + _SUFFIX


def _cut(token: str, room: int) -> tuple[str, str]:
    """The longest head of `token` whose encoded-word fits `room` (at least one character)."""
    end = 1
    while end < len(token) and _encoded_len(token[: end + 1]) <= room:
        end += 1
    return token[:end], token[end:]


def _chunks(text: str, first_room: int) -> list[str]:
    """`text` split at word ends into pieces whose encoded-words fit a line each."""
    chunks: list[str] = []
    current = ""
    room = first_room
    for token in _TOKENS.findall(text):
        while token:
            if _encoded_len(current + token) <= room:
                current, token = current + token, ""
            elif current:
                chunks.append(current)
                current, room = "", WORD
            else:  # one word longer than a line: cut inside it (decoders join adjacent words)
                head, token = _cut(token, room)
                chunks.append(head)
                room = WORD
    if current or not chunks:
        chunks.append(current)
    return chunks


def needs_encoding(text: str) -> bool:
    """True when `text` cannot go into a header as it is (non-ASCII, controls, or '=?')."""
    return not text.isascii() or "=?" in text or any(ord(c) < 32 or ord(c) == 127 for c in text)


def encode_phrase(text: str, used: int) -> list[str]:
    """Encoded-words for `text`, one per line, the first fitting after `used` characters."""
    return [_word(c) for c in _chunks(text, min(WORD, LINE - used))]


def fold_unstructured(name: str, text: str) -> str:
    """`Name: value` folded (CRLF between lines, none at the end)."""
    if not needs_encoding(text) and len(name) + 2 + len(text) <= 78:
        return f"{name}: {text}"
    # Long ASCII is encoded too: folded plain text comes back with its line break from
    # readers that do not unfold (imap-tools), while the folding between words is dropped.
    words = encode_phrase(text, len(name) + 2)
    return f"{name}: " + "\r\n ".join(words)


def _mailbox(address: Address) -> list[str]:
    """One address as header pieces (each piece goes on its own line when it must)."""
    spec = address.addr_spec
    name = address.display_name
    if not name:
        return [spec]
    if not needs_encoding(name):
        return [formataddr((name, spec))]
    return [*encode_display_name(name), f"<{spec}>"]


def encode_display_name(name: str) -> list[str]:
    """A display name as phrase pieces: plain ASCII words as they are, each run of other words
    as one encoded-word of at most 75 characters (RFC 2047 §2), cut at word ends when longer.

    The trap: RFC 2047 decoders drop the whitespace between two encoded-words, Python 3.11's
    address parser (`policy.default`) keeps it. Whitespace next to a plain word is kept by both,
    so runs split at plain words ("Sở =?…?= Khoa =?…?=") read the same everywhere. Only a run
    too long for one encoded-word is cut between encoded-words, the space inside the first
    (RFC 2047 §6.2, what mail clients do); Python 3.11 then shows that space twice.
    """
    words = name.split(" ")
    if name != " ".join(name.split()) or "=?" in name:  # unusual spacing: encode it all as it is
        return [_word(c) for c in _chunks(name, WORD)]
    pieces: list[str] = []
    run: list[str] = []
    for word in [*words, None]:
        if word is not None and not _ATEXT.fullmatch(word):
            run.append(word)
            continue
        if run:
            pieces.extend(_word(c) for c in _chunks(" ".join(run), WORD))
            run = []
        if word is not None:
            pieces.append(word)
    return pieces


def fold_addresses(name: str, addresses: tuple[Address, ...]) -> str:
    """`Name: a, b` with encoded display names, folded between pieces."""
    line = f"{name}:"
    lines: list[str] = []
    for index, address in enumerate(addresses):
        pieces = _mailbox(address)
        if index < len(addresses) - 1:
            pieces[-1] += ","
        for piece in pieces:
            if len(line) + 1 + len(piece) > LINE and not line.endswith(":"):
                lines.append(line)
                line = ""
            line += " " + piece
    lines.append(line)
    return "\r\n".join(lines)


def fold_identifiers(name: str, value: str) -> str:
    """`Name: <id1> <id2>` folded between ids when the line would pass 78 characters; an id
    longer than a line stays whole (RFC 5322 §2.1.1: 78 is a SHOULD, 998 the limit)."""
    lines = [f"{name}:"]
    for token in value.split():
        if len(lines[-1]) + 1 + len(token) > 78 and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return "\r\n".join(lines)


def fold_header(name: str, value: Any) -> str | None:
    """Our folding of this header, or None to leave it to the standard policy."""
    key = name.lower()
    if key in IDENTIFIERS and str(value).isascii():
        return fold_identifiers(name, str(value))
    if key in ADDRESSES and getattr(value, "addresses", None) is not None:
        if not all(a.addr_spec.isascii() for a in value.addresses):
            return None  # an internationalised address: the standard policy's business
        return fold_addresses(name, tuple(value.addresses))
    if key in UNSTRUCTURED:
        return fold_unstructured(name, str(value))
    return None


class OutboundPolicy(EmailPolicy):
    """`email.policy.SMTP` (CRLF) with our encoding of the subject and address headers."""

    def fold(self, name: str, value: Any) -> str:
        """Header as text (Generator)."""
        own = fold_header(name, value)
        return super().fold(name, value) if own is None else own.replace("\r\n", self.linesep) + self.linesep

    def fold_binary(self, name: str, value: Any) -> bytes:
        """Header as bytes (BytesGenerator: what goes over SMTP)."""
        own = fold_header(name, value)
        if own is None:
            return super().fold_binary(name, value)
        return (own.replace("\r\n", self.linesep) + self.linesep).encode("ascii")


OUTBOUND = OutboundPolicy(linesep="\r\n")
