"""Pure decisions about a parsed message: what kind of mail it is, and which agency sent it.

Classification: own (our Message-ID or our sender) → bounce (delivery-status report) →
auto_reply (RFC 3834, read receipts, out-of-office) → submission / nil_report (from the
parsed documents, else the body) → acknowledgement → files_to_check (files that are no
outline report, in a mail meant as the answer) → unrelated.

Attribution weighs independent signals: the registered sender address, a forwarded message's
sender, the document's own identity (`ParseResult.agency`) and the subject/body/signature
naming the agency. Signals that disagree, or only weak ones, give no answer but candidates
for a person to decide: a guess is never returned as fact. Only recipients count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from parsers.kind import NOT_REPORT_TYPES
from parsers.mail import MailMessage
from parsers.mailids import is_our_message_id
from parsers.naming import named_in, path_words
from parsers.vocab import STATE_MAIL_KINDS, MailKind

KINDS = tuple(MailKind)
# Kinds that change a recipient's state.
STATE_KINDS = STATE_MAIL_KINDS

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response)|autoreply|out of (the )?office|tự động trả lời|"
    r"trả lời tự động|vắng mặt|thư trả lời tự động|read:|đã đọc:|delivery status notification|"
    r"undeliver(ed|able)|returned mail|mail delivery failed)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (status notification|failure|has failed)|mail delivery failed|"
    r"failure notice|không (thể )?gửi được|không chuyển được",
    re.I,
)
_ADDR = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|bounce)", re.I)
_SIG_LINES = 12
# Mail systems that write delivery reports without the multipart/report structure.
_MAILER_NAME = re.compile(r"^(mail delivery (system|subsystem)|microsoft outlook|postmaster|mailer-daemon|mail administrator)$", re.I)
_MAILER_LOCAL = re.compile(r"^(microsoftexchange[0-9a-f]*|mail-?daemon)$", re.I)
# Where a plain-text bounce starts quoting the original message (its To: lists everyone).
_BOUNCE_QUOTE = re.compile(
    r"^\s*(?:-+\s*)?(?:original message|original message headers|thư gốc|tiêu đề thư gốc|received:|from:|to:|"
    r"reporting-mta|message-id:|.*below this line is a copy|.*header of the original|.*copy of the message)",
    re.I | re.M,
)
# A reply or forward of the campaign's thread ("Re:", "TL:", "Fw:", "Chuyển tiếp:" …).
_PREFIX_WORDS = r"(?:re|tl|trả lời|aw|sv|fw|fwd|tr|chuyển tiếp|chuyển)"
_REPLY_PREFIX = re.compile(rf"^\s*{_PREFIX_WORDS}\s*:", re.I)
# All of them, "Re[2]:" too: what `bare_subject` takes off.
_REPLY_PREFIXES = re.compile(rf"^(?:\s*{_PREFIX_WORDS}\s*(?:\[\d+\])?\s*:)+\s*", re.I)


def bare_subject(subject: str) -> str:
    """A subject without the reply and forward prefixes mail clients put before it
    ("Re: TL: Fwd: Báo cáo …" → "Báo cáo …"); the subject itself when nothing is left."""
    return _REPLY_PREFIXES.sub("", subject or "").strip() or (subject or "").strip()
# A nil answer in the agency's own words (accent-folded): "không được phân công thực hiện
# nhiệm vụ nào", "không phát sinh số liệu", "không tham gia … hoạt động".
FILES_TO_CHECK_REASON = (
    "thư của đơn vị có tệp đính kèm nhưng tệp không giống báo cáo theo đề cương — cán bộ cần xem"
)
# A report written in the message itself (sections, figures), no file: a person decides.
BODY_REPORT_REASON = "báo cáo viết trong nội dung thư (không có tệp đính kèm) — cán bộ cần xem và ghi nhận"
_NIL_WORDS = re.compile(
    r"\bkhong (?:duoc )?(?:giao|phan cong|tham gia|thuc hien|co|phat sinh|lien quan)\b(?: \w+){0,8}? "
    r"(?:nhiem vu|noi dung|so lieu|hoat dong)\b"
)


# Vietnamese accents after NFD: the combining marks U+0300–U+036F (all but U+034F, the
# combining grapheme joiner, whose combining class is 0 and which `fold` keeps).
_VIETNAMESE_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
# ASCII letters and digits and "&" kept, everything else a space (what `(?:[^\w&]|_)+` keeps of
# ASCII text).
_ASCII_WORDS = bytes(c if chr(c).isalnum() or c == ord("&") else 0x20 for c in range(128)) + b" " * 128


@lru_cache(maxsize=64)
def fold(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced text (đ → d) for matching. Cached: the classifier
    folds the same subject and body for several questions about one message. Vietnamese text
    is ASCII once its accents are off (a third of the time of the general path, which looks at
    every character's combining class and at Unicode word characters)."""
    text = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = _VIETNAMESE_MARKS.sub("", text)
    if bare.isascii():
        return " ".join(bare.lower().encode("ascii").translate(_ASCII_WORDS).decode("ascii").split())
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"(?:[^\w&]|_)+", " ", text).split())


def contains_phrase(text: str, phrases: Iterable[str]) -> str | None:
    """The first phrase found in the text (accent- and case-insensitive), if any."""
    folded = f" {fold(text)} "
    for phrase in phrases:
        if phrase and _padded_fold(phrase) in folded:
            return phrase
    return None


@lru_cache(maxsize=4096)
def _padded_fold(phrase: str) -> str:
    """A phrase folded once (the campaign's phrases are the same for every message)."""
    return f" {fold(phrase)} "


@dataclass(frozen=True)
class MailHints:
    """What the campaign and settings tell the classifier."""

    our_addresses: frozenset[str] = frozenset()
    topic_words: tuple[str, ...] = ()
    nil_phrases: tuple[str, ...] = ()
    ack_phrases: tuple[str, ...] = ()
    # The request's subject: replies keep it ("Re: V/v phối hợp báo cáo sơ kết Đề án 996…").
    request_subject: str = ""


@dataclass
class Classification:
    """The kind of a message and why."""

    kind: str
    reason: str
    bounced: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "bounced": self.bounced}


def is_automatic(mail: MailMessage) -> bool:
    """RFC 3834 and friends: a machine wrote this (no receipt, no reply)."""
    if mail.auto_submitted and mail.auto_submitted != "no":
        return True
    if mail.x_autoreply or mail.precedence in ("auto_reply", "bulk", "junk", "list"):
        return True
    return mail.report_type is not None or bool(mail.list_id)


def is_mailer(mail: MailMessage) -> bool:
    """The sender is a mail system (MAILER-DAEMON, Exchange's "Microsoft Outlook" …)."""
    local = (mail.from_addr or "").split("@", 1)[0]
    return is_noreply(mail.from_addr) or bool(_MAILER_LOCAL.match(local) or _MAILER_NAME.match(mail.from_name.strip()))


def bounced_in_text(body: str, exclude: Iterable[str]) -> list[str]:
    """Addresses a plain-text bounce reports, read before it quotes the original message
    (whose To: may list every recipient)."""
    cut = _BOUNCE_QUOTE.search(body)
    head = body[: cut.start()] if cut else body
    return sorted({a.lower() for a in _ADDR.findall(head)} - {e.lower() for e in exclude if e})


# A report still to come ("xin gia hạn", "sẽ gửi", "đang tổng hợp"), accent-folded: it outweighs
# a nil-sounding phrase in the same words ("một số đơn vị không có số liệu nên xin gia hạn").
_PROMISE = re.compile(r"\b(?:xin gia han|gia han den|se gui|se bao cao|dang tong hop|gui sau|bo sung sau)\b")


def promises_report(text: str) -> bool:
    """The sender says a report is still to come."""
    return bool(_PROMISE.search(fold(text)))


def nil_in_own_words(text: str) -> str | None:
    """A nil answer phrased in the sender's words, if the text has one."""
    found = _NIL_WORDS.search(fold(text))
    return found.group(0) if found else None


def about_campaign(mail: MailMessage, hints: MailHints) -> bool:
    """Specifically about this campaign: a reply to our mail, the request's subject, or a
    distinctive topic word (one with a digit: "996", "SKHCN-TĐC") in the subject or new text.
    Generic words ("đo lường", "sơ kết") are not enough: agencies have other business too."""
    if _replies_to_us(mail):
        return True
    distinctive = [w for w in hints.topic_words if any(c.isdigit() for c in w)]
    if contains_phrase(f"{mail.subject}\n{mail.new_text[:3000]}", distinctive):
        return True
    subject = fold(_REPLY_PREFIX.sub("", mail.subject or "", count=3))
    request = fold(hints.request_subject)
    return bool(request and len(subject) >= 12 and fuzz.partial_ratio(subject, request) >= 90)


def meant_as_report(mail: MailMessage, hints: MailHints, *, known_sender: bool) -> bool:
    """A message whose files we could not read was meant as the answer: it is about the
    campaign, or a registered agency says it sends a report ("gửi báo cáo")."""
    if about_campaign(mail, hints):
        return True
    return known_sender and contains_phrase(f"{mail.subject}\n{mail.new_text[:3000]}", ("báo cáo",)) is not None


def replies_to_campaign(mail: MailMessage, hints: MailHints) -> bool:
    """A reply to our mail, or a "Re:/TL:/Fw:" on a subject about the campaign."""
    if _replies_to_us(mail):
        return True
    return bool(_REPLY_PREFIX.match(mail.subject or "")) and about_campaign(mail, hints)


def is_noreply(address: str | None) -> bool:
    """no-reply@, mailer-daemon@ and the like."""
    return bool(address) and bool(_NOREPLY.match(address.split("@", 1)[0]))  # type: ignore[union-attr]


def is_related(mail: MailMessage, hints: MailHints, *, known_sender: bool) -> bool:
    """The message is about the campaign: a reply to us, a known sender, or a topic word."""
    if known_sender or is_our_message_id(mail.in_reply_to) or any(map(is_our_message_id, mail.references)):
        return True
    return contains_phrase(f"{mail.subject}\n{mail.body_text[:3000]}", hints.topic_words) is not None


def _replies_to_us(mail: MailMessage) -> bool:
    return is_our_message_id(mail.in_reply_to) or any(map(is_our_message_id, mail.references))


def classify(
    mail: MailMessage,
    doc_kinds: Sequence[str],
    hints: MailHints,
    *,
    known_sender: bool = False,
    doc_types: Sequence[str] | None = None,
) -> Classification:
    """What kind of message this is. `doc_kinds` are the parsed attachments' kinds, `doc_types`
    (in the same order) what each says it is (`ParseResult.doc_type`; unknown when not given)."""
    forwarding = bool(mail.forwarded or mail.inline_forward_from) or any(k in ("report", "nil_report") for k in doc_kinds)
    if is_our_message_id(mail.message_id) or ((mail.from_addr or "") in hints.our_addresses and not forwarding):
        return Classification("own", "thư do chính hệ thống gửi")
    if mail.report_type == "delivery-status" or (mail.failed_recipients and is_noreply(mail.from_addr)):
        return Classification("bounce", "thư báo không chuyển được", list(mail.failed_recipients))
    if is_mailer(mail) and _BOUNCE_SUBJECT.search(mail.subject or ""):
        # An old-style bounce in plain text: the addresses it names before quoting the
        # original (only registered contacts are ever marked).
        found = bounced_in_text(mail.body_text, [*hints.our_addresses, mail.from_addr or ""])
        return Classification("bounce", "thư báo không chuyển được (dạng văn bản)", found)
    if mail.report_type == "disposition-notification":
        return Classification("auto_reply", "xác nhận đã đọc thư")
    # auto-forwarded (an agency's mailbox rule passing a report on) is not a reply.
    if (mail.auto_submitted and mail.auto_submitted not in ("no", "auto-forwarded")) or mail.x_autoreply:
        return Classification("auto_reply", "thư trả lời tự động (Auto-Submitted)")
    if mail.precedence == "auto_reply" or _AUTO_SUBJECT.match(mail.subject or ""):
        return Classification("auto_reply", "thư trả lời tự động")
    if "report" in doc_kinds:
        return Classification("submission", "có tệp báo cáo theo đề cương")
    if "nil_report" in doc_kinds:
        return Classification("nil_report", "tệp đính kèm báo cáo không phát sinh nội dung")
    if mail.list_id or mail.precedence in ("bulk", "list", "junk"):
        return Classification("unrelated", "thư từ danh sách thư / thư hàng loạt")
    related = is_related(mail, hints, known_sender=known_sender)
    text = f"{mail.subject}\n{mail.new_text[:5000]}"
    nil = contains_phrase(text, hints.nil_phrases) or nil_in_own_words(mail.new_text[:5000])
    if related and nil and not promises_report(text):
        return Classification("nil_report", f"nội dung thư: “{nil}”")
    ack = contains_phrase(text, hints.ack_phrases) or ("báo cáo sẽ gửi sau" if promises_report(text) else None)
    # "Đã nhận", "sẽ gửi sau" are everyday words: only about this campaign are they an answer.
    if ack and about_campaign(mail, hints):
        return Classification("acknowledgement", f"nội dung thư: “{ack}”")
    if doc_kinds:
        if _may_be_the_report(doc_kinds, doc_types) and meant_as_report(mail, hints, known_sender=known_sender):
            # An agency's mail, or one about the campaign, whose files do not follow the outline
            # (a report on the plan the request cites, a letter in another form …): not
            # unrelated — a person decides whether it is the report.
            return Classification(MailKind.FILES_TO_CHECK, FILES_TO_CHECK_REASON)
        return Classification("unrelated", "tệp đính kèm không phải báo cáo theo đề cương")
    if known_sender and replies_to_campaign(mail, hints):
        # An agency answering our request or reminder without a report ("em gửi ạ" with the
        # file forgotten, a question, "đã gửi hôm trước"): a contact, nothing to record.
        return Classification("acknowledgement", "thư trả lời của đơn vị, chưa kèm báo cáo")
    return Classification("unrelated", "không liên quan đến chiến dịch")


def _may_be_the_report(doc_kinds: Sequence[str], doc_types: Sequence[str] | None) -> bool:
    """A file that is no outline report and does not say it is something else (a plan, a
    decision, an invitation: by its number's code or title) may be the report in another form."""
    types = list(doc_types) if doc_types is not None else [""] * len(doc_kinds)
    return any(k == "not_a_report" and t not in NOT_REPORT_TYPES for k, t in zip(doc_kinds, types, strict=False))


@dataclass(frozen=True)
class AgencyRef:
    """A recipient as attribution sees it."""

    recipient_id: int
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass
class Attribution:
    """Who sent it: a recipient when the evidence is strong and consistent, else candidates."""

    recipient_id: int | None
    attributed_by: str | None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    review_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "recipient_id": self.recipient_id,
            "attributed_by": self.attributed_by,
            "candidates": self.candidates,
            "review_reason": self.review_reason,
        }


def mentions(agencies: Sequence[AgencyRef], text: str) -> dict[int, float]:
    """Agencies named in a text (official name or alias, accent-folded), with a score."""
    folded = f" {fold(text)} "
    found: dict[int, tuple[float, str]] = {}
    for agency in agencies:
        for name in (agency.name, *agency.aliases):
            key = fold(name)
            if len(key) < 3:
                continue
            if f" {key} " in folded:
                score = 1.0 if name == agency.name else 0.9
            elif len(key) >= 12 and fuzz.partial_ratio(key, folded) >= 95:
                score = 0.75
            else:
                continue
            if score > found.get(agency.recipient_id, (0.0, ""))[0]:
                found[agency.recipient_id] = (score, key)
    # "Sở Tài chính" inside "Văn phòng Sở Tài chính …": keep only the longest names.
    keys = {rid: key for rid, (_, key) in found.items()}
    return {
        rid: score
        for rid, (score, key) in found.items()
        if not any(other != key and key in other for other in keys.values())
    }


def text_for_naming(mail: MailMessage) -> str:
    """Subject, the opening of the body and its signature (last lines)."""
    lines = [ln for ln in mail.new_text.splitlines() if ln.strip()]
    head = lines[:15]
    tail = lines[-_SIG_LINES:] if len(lines) > 15 else []
    return "\n".join([mail.subject, mail.from_name, *head, *tail])


@dataclass
class _Signal:
    recipient_id: int
    # strong: sender | forward | folder (a recipient-code subfolder) | document (≥ 0.6);
    # medium: thread (a reply to our request/reminder to it) | tag (subject "[tên đơn vị]") |
    # name (a drop-folder path naming it) | domain; weak: text (subject/body/signature).
    kind: str
    score: float


MEDIUM_KINDS = frozenset({"thread", "tag", "name", "domain"})
# A medium signal's weight in the candidates' scores.
_MEDIUM_WEIGHT = 0.6


def attribute(
    agencies: Sequence[AgencyRef],
    *,
    sender: str | None,
    forward_senders: Sequence[str] = (),
    document_agencies: Sequence[tuple[str | None, float]] = (),
    text: str = "",
    folder_code: str | None = None,
    thread_recipient: int | None = None,
    tags: Sequence[str] = (),
    path: str = "",
) -> Attribution:
    """Decide the recipient from independent signals, or leave it to a person.

    `thread_recipient`: the recipient our request or reminder (the message this one replies
    to) went to; `tags`: the subject's bracketed tags; `path`: the drop-folder path."""
    by_email = {e.lower(): a for a in agencies for e in a.emails}
    by_code = {a.code: a for a in agencies}
    signals: list[_Signal] = []
    if sender and sender.lower() in by_email:
        signals.append(_Signal(by_email[sender.lower()].recipient_id, "sender", 1.0))
    elif sender and "@" in sender:
        # An unregistered address on a domain that only one recipient uses: supporting evidence.
        domain = sender.lower().rsplit("@", 1)[1]
        owners = {a.recipient_id for a in agencies for e in a.emails if e.lower().endswith("@" + domain)}
        if len(owners) == 1:
            signals.append(_Signal(next(iter(owners)), "domain", 1.0))
    forwarded = {by_email[f.lower()].recipient_id for f in forward_senders if f and f.lower() in by_email}
    # A forward's author is the inner message's sender: the agency that passed it on (a Sở
    # forwarding a unit's mail) is not a rival.
    signals = [s for s in signals if not forwarded or s.recipient_id in forwarded]
    signals.extend(_Signal(rid, "forward", 1.0) for rid in sorted(forwarded))
    if folder_code and folder_code in by_code:
        signals.append(_Signal(by_code[folder_code].recipient_id, "folder", 1.0))
    for code, score in document_agencies:
        if code and code in by_code and score > 0:
            signals.append(_Signal(by_code[code].recipient_id, "document", score))
    known = {a.recipient_id for a in agencies}
    if thread_recipient is not None and thread_recipient in known:
        signals.append(_Signal(thread_recipient, "thread", 1.0))
    labels = [(a.recipient_id, (a.name, *a.aliases)) for a in agencies]
    for tag in tags:
        for rid, score in named_in(labels, tag, fold).items():
            signals.append(_Signal(rid, "tag", score))
    if path:
        for rid, score in named_in(labels, path_words(path), fold).items():
            signals.append(_Signal(rid, "name", score))
    named = mentions(agencies, text) if text else {}
    for rid, score in named.items():
        signals.append(_Signal(rid, "text", score))
    return _decide(signals, agencies)


def _decide(signals: list[_Signal], agencies: Sequence[AgencyRef]) -> Attribution:
    by_id = {a.recipient_id: a for a in agencies}
    totals: dict[int, float] = {}
    kinds: dict[int, list[str]] = {}
    for s in signals:
        weight = {
            "sender": 1.0, "forward": 1.0, "folder": 1.0, "document": s.score, "text": 0.5 * s.score, "domain": 0.5,
            "thread": _MEDIUM_WEIGHT, "tag": _MEDIUM_WEIGHT * s.score, "name": _MEDIUM_WEIGHT * s.score,
        }[s.kind]
        totals[s.recipient_id] = totals.get(s.recipient_id, 0.0) + weight
        kinds.setdefault(s.recipient_id, []).append(s.kind)
    candidates: list[dict[str, Any]] = [
        {
            "recipient_id": rid,
            "code": by_id[rid].code,
            "name": by_id[rid].name,
            "score": round(total, 3),
            "signals": sorted(set(kinds[rid])),
        }
        for rid, total in sorted(totals.items(), key=lambda kv: -kv[1])
    ]
    if not candidates:
        return Attribution(None, None, [], "không xác định được đơn vị gửi")
    strong = {s.recipient_id for s in signals if s.kind in ("sender", "forward", "folder") or (s.kind == "document" and s.score >= 0.6)}
    if len(strong) > 1:
        return Attribution(None, None, candidates, "các dấu hiệu chỉ về nhiều đơn vị khác nhau")
    if len(strong) == 1:
        rid = next(iter(strong))
        return Attribution(rid, "+".join(sorted(set(k for k in kinds[rid] if k != "text")) or ["text"]), candidates)
    best = candidates[0]
    runner = candidates[1]["score"] if len(candidates) > 1 else 0.0
    # No strong signal: two independent medium ones that agree, and no rival with any.
    medium: dict[int, set[str]] = {}
    for s in signals:
        if s.kind in MEDIUM_KINDS or (s.kind == "document" and s.score >= 0.4):
            medium.setdefault(s.recipient_id, set()).add(s.kind)
    agreeing = [rid for rid, kinds in medium.items() if len(kinds) >= 2]
    if len(agreeing) == 1 and set(medium) == set(agreeing):
        rid = agreeing[0]
        return Attribution(rid, "+".join(sorted(medium[rid])), candidates)
    # Or two weaker ones that agree, and no serious rival.
    if best["score"] >= 0.9 and len(best["signals"]) >= 2 and runner < 0.5:
        return Attribution(best["recipient_id"], "+".join(best["signals"]), candidates)
    # One weak or medium signal: a person decides, this candidate preselected (first).
    return Attribution(None, None, candidates, "chỉ có dấu hiệu yếu về đơn vị gửi")
