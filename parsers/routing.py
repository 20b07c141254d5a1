"""Which open campaign a message (and each of its files) belongs to — pure.

One official mailbox serves many requests at once. The evidence, strongest first:

- a reply token in the address it was sent to (`tdc+<campaign>.<agency>@…`): exact;
- threading: In-Reply-To / References naming a request, reminder or receipt we sent;
- the request's number ("123/SKHCN-TĐC") or its subject, in the subject or the new body text;
- the sender being a recipient of only one of the open campaigns;
- per file: how much of each campaign's outline the attached document covers.

A file whose outline clearly matches one campaign goes there whatever the message says (an
agency replying to the wrong request, or answering two requests in one message); the other
files and a message without files follow the message's evidence. When that evidence does not
single out one campaign the message is in doubt: a person chooses among the candidates. So is
a message whose own words cite another open request (its number or subject) while its thread,
reply token or sender point to one campaign: an agency pressing Reply on one request to answer
another ("… theo Công văn số 1301/SKHCN-TĐC" under the 996 request's subject).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from parsers.model import OutlineSpec, ParseResult
from parsers.textnorm import fold_words

# Weights of the message-level signals (the sum per campaign decides).
WEIGHTS = {
    "token": 10,
    "in_reply_to": 4,
    "references": 2,
    "number_subject": 3,
    "number_body": 2,
    "subject": 3,
    "subject_body": 1,
    "sender_only": 2,
}
# A campaign is chosen when its score reaches MIN_SCORE and leads the next by MIN_LEAD.
MIN_SCORE = 2
MIN_LEAD = 2
# A file goes by its outline when it covers this much of one outline and clearly more than of any other.
OUTLINE_MIN = 0.25
OUTLINE_LEAD = 0.15
# Share of a request subject's distinctive words a subject must hold to cite it.
SUBJECT_SHARE = 0.6
SIGNAL_LABELS = {
    "token": "địa chỉ trả lời riêng",
    "in_reply_to": "trả lời thư của chiến dịch",
    "references": "cùng chuỗi thư với thư của chiến dịch",
    "number_subject": "số công văn ở tiêu đề",
    "number_body": "số công văn trong thư",
    "subject": "trích yếu công văn ở tiêu đề",
    "subject_body": "trích yếu công văn trong thư",
    "sender_only": "người gửi chỉ thuộc chiến dịch này",
    "outline": "tệp khớp đề cương",
}
_ENVELOPE_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class CampaignRef:
    """What routing needs to know of one open campaign."""

    id: str
    number: str = ""
    subject: str = ""
    emails: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ThreadRef:
    """One of our sent mails, found by its Message-ID in the outbound ledger."""

    campaign_id: str
    kind: str
    recipient_code: str | None = None


@dataclass(frozen=True)
class ReplyToken:
    """A per-recipient reply address read back: campaign and agency, exactly."""

    campaign_id: str
    code: str
    address: str


@dataclass(frozen=True)
class Evidence:
    """One reason for a campaign, with its weight."""

    campaign_id: str
    signal: str
    weight: int
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_id,
            "signal": self.signal,
            "label": SIGNAL_LABELS.get(self.signal, self.signal),
            "weight": self.weight,
            "detail": self.detail,
        }


@dataclass
class Route:
    """Where a message goes: a campaign for the message, one per file, or doubt."""

    campaign_id: str | None
    files: dict[int, str] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    token: ReplyToken | None = None
    doubt: bool = False
    # The campaign the thread (token, sender…) pointed to, when the message's own words cite
    # another open request instead (`cited`): the reason it is in doubt.
    contradicted: str | None = None
    cited: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[str]:
        """The campaigns that get (part of) the message, in a stable order."""
        if self.doubt:
            return []
        found = list(dict.fromkeys(self.files.values()))
        if not found and self.campaign_id:
            found = [self.campaign_id]
        return found

    def files_for(self, campaign_id: str) -> list[int]:
        """The parts routed to one campaign."""
        return sorted(p for p, c in self.files.items() if c == campaign_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_id,
            "files": {str(k): v for k, v in sorted(self.files.items())},
            "candidates": self.candidates,
            "scores": self.scores,
            "evidence": [e.to_json() for e in self.evidence],
            "token": None if self.token is None else {"campaign": self.token.campaign_id, "code": self.token.code},
            "doubt": self.doubt,
            **({"contradicted": self.contradicted, "cited": self.cited} if self.contradicted else {}),
        }


# --- reply tokens --------------------------------------------------------------------------


def reply_token_address(sender: str, campaign_id: str, code: str) -> str:
    """The per-recipient Reply-To: `local+<campaign>.<agency>@domain` from our sender address."""
    local, _, domain = sender.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{campaign_id}.{code}@{domain}"


def read_reply_token(addresses: Iterable[str], sender: str | None, campaigns: Iterable[CampaignRef]) -> ReplyToken | None:
    """The reply token in any of the addresses, if it names an open campaign and one of its agencies."""
    if not sender or "@" not in sender:
        return None
    base, _, domain = sender.lower().partition("@")
    base = base.split("+", 1)[0]
    known = {c.id: c.codes for c in campaigns}
    for address in addresses:
        local, _, dom = address.lower().strip().partition("@")
        head, plus, token = local.partition("+")
        if not plus or head != base or dom != domain:
            continue
        for cid, codes in known.items():
            if token.startswith(cid + ".") and token[len(cid) + 1 :] in codes:
                return ReplyToken(cid, token[len(cid) + 1 :], address.strip().lower())
    return None


def envelope_addresses(raw: bytes) -> list[str]:
    """The addresses a message was sent to: To, Cc and the delivery headers servers add."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    values = [str(v) for name in _ENVELOPE_HEADERS for v in headers.get_all(name) or []]
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr]


# --- text evidence --------------------------------------------------------------------------


def _number_pattern(number: str) -> re.Pattern[str] | None:
    """A request number with digits ("123/SKHCN-TĐC"), matched however it is spaced."""
    folded = fold_words(number)
    if not re.search(r"\d", folded):
        return None  # "…/SKHCN-TĐC": the number is not filled in, so it proves nothing
    words = folded.split()
    return re.compile(r"(?<![\w])" + r"\W*".join(map(re.escape, words)) + r"(?![\w])")


def _distinctive(subject: str, others: Iterable[str]) -> set[str]:
    """Words of a request subject that the other open requests' subjects do not use."""
    common: set[str] = set()
    for other in others:
        common |= set(fold_words(other).split())
    words = {w for w in fold_words(subject).split() if len(w) > 1 and w not in {"v", "ve", "re", "fw", "fwd"}}
    return words - common if common else words


def _cites_subject(text: str, words: set[str]) -> bool:
    if len(words) < 2:
        return False
    present = set(fold_words(text).split())
    return len(words & present) / len(words) >= SUBJECT_SHARE


def text_evidence(campaigns: list[CampaignRef], subject: str, body: str) -> list[Evidence]:
    """The request's number or subject cited in the message's subject or new body text."""
    found: list[Evidence] = []
    folded_subject, folded_body = fold_words(subject), fold_words(body)
    for c in campaigns:
        pattern = _number_pattern(c.number)
        if pattern is not None and pattern.search(folded_subject):
            found.append(Evidence(c.id, "number_subject", WEIGHTS["number_subject"], c.number))
        elif pattern is not None and pattern.search(folded_body):
            found.append(Evidence(c.id, "number_body", WEIGHTS["number_body"], c.number))
        words = _distinctive(c.subject, (o.subject for o in campaigns if o.id != c.id))
        if _cites_subject(subject, words):
            found.append(Evidence(c.id, "subject", WEIGHTS["subject"]))
        elif _cites_subject(body, words):
            found.append(Evidence(c.id, "subject_body", WEIGHTS["subject_body"]))
    return found


def thread_evidence(in_reply_to: str | None, references: Iterable[str], threads: Mapping[str, ThreadRef]) -> list[Evidence]:
    """Our own mails this message answers (In-Reply-To) or sits in the thread of (References)."""
    found: list[Evidence] = []
    direct = threads.get(in_reply_to or "")
    if direct is not None:
        found.append(Evidence(direct.campaign_id, "in_reply_to", WEIGHTS["in_reply_to"], direct.kind))
    seen = {direct.campaign_id} if direct else set()
    for ref in references:
        hit = threads.get(ref)
        if hit is not None and hit.campaign_id not in seen:
            seen.add(hit.campaign_id)
            found.append(Evidence(hit.campaign_id, "references", WEIGHTS["references"], hit.kind))
    return found


def sender_evidence(campaigns: list[CampaignRef], senders: Iterable[str]) -> list[Evidence]:
    """A sender who is a recipient of exactly one open campaign."""
    for sender in senders:
        owners = [c.id for c in campaigns if sender.lower() in c.emails]
        if len(owners) == 1:
            return [Evidence(owners[0], "sender_only", WEIGHTS["sender_only"], sender.lower())]
    return []


# --- the attached document ----------------------------------------------------------------

def _words(text: str) -> set[str]:
    return {w for w in fold_words(text).split() if len(w) > 1 and not w.isdigit()}


def outline_words(spec: OutlineSpec) -> set[str]:
    """The words of an outline: section headings, row labels, their synonyms, the table title."""
    texts = [spec.table_title, *(t for s in spec.sections for t in (s.heading, *s.synonyms))]
    texts += [t for r in spec.rows for t in (r.label, *r.synonyms)]
    return set().union(*(_words(t) for t in texts))


def distinctive_words(specs: Mapping[str, OutlineSpec]) -> dict[str, set[str]]:
    """Per campaign, the words of its outline that no other open outline uses (numbering and
    the common vocabulary — "kết quả", "đo lường" — say nothing about which one a file follows)."""
    words = {cid: outline_words(spec) for cid, spec in specs.items()}
    return {cid: own - set().union(*(w for o, w in words.items() if o != cid)) for cid, own in words.items()}


def outline_match(result: ParseResult, spec: OutlineSpec, distinctive: set[str]) -> float:
    """0..1: how far a parsed file follows this outline — the share of the outline's own words
    the document uses, or of its table rows it gives figures for (a spreadsheet has few words);
    a zip is as good as its best member."""
    words = len(distinctive & result.words) / len(distinctive) if distinctive else 0.0
    rows = sum(1 for i in result.indicators.values() if i.plan is not None or i.result is not None)
    share = max(words, rows / len(spec.rows) if spec.rows else 0.0)
    return max([share, *(outline_match(m, spec, distinctive) for m in result.members if m.error is None)])


# --- the decision ---------------------------------------------------------------------------

_BODY_CITES = frozenset({"number_body", "subject_body"})
# What points to a campaign without the message's text: our thread, the reply token, the sender.
_POINTERS = frozenset({"token", "in_reply_to", "references", "sender_only"})
_SUBJECT_CITES = frozenset({"number_subject", "subject"})


def cited_instead(chosen: str, evidence: Iterable[Evidence]) -> list[str]:
    """Other campaigns whose request the message's own words cite, when they do not cite the
    chosen one's: the new body text first (the agency's words: a subject is often just the
    "Re:" of the mail answered), then the subject."""
    evidence = list(evidence)
    body = {e.campaign_id for e in evidence if e.signal in _BODY_CITES}
    if chosen in body:
        return []
    if body:
        return sorted(body)
    subject = {e.campaign_id for e in evidence if e.signal in _SUBJECT_CITES}
    return [] if chosen in subject else sorted(subject - {chosen})


def outline_routes(outline: Mapping[int, Mapping[str, float]]) -> tuple[dict[int, str], list[Evidence]]:
    """Files that clearly match one campaign's outline (part → coverage per campaign)."""
    files: dict[int, str] = {}
    found: list[Evidence] = []
    for part, cover in sorted(outline.items()):
        ranked = sorted(cover.items(), key=lambda kv: -kv[1])
        if not ranked:
            continue
        best, score = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        if score >= OUTLINE_MIN and score - runner >= OUTLINE_LEAD:
            files[part] = best
            found.append(Evidence(best, "outline", 0, f"tệp {part + 1}: {score:.0%}"))
    return files, found


def route_message(
    campaigns: list[CampaignRef],
    *,
    subject: str = "",
    body: str = "",
    senders: Iterable[str] = (),
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    threads: Mapping[str, ThreadRef] | None = None,
    token: ReplyToken | None = None,
    outline: Mapping[int, Mapping[str, float]] | None = None,
) -> Route:
    """Route one message between the open campaigns (see the module docstring)."""
    ids = [c.id for c in campaigns]
    outline = outline or {}
    if len(ids) == 1:
        return Route(ids[0], {p: ids[0] for p in outline}, candidates=ids, scores={ids[0]: 0})
    evidence = [
        *([Evidence(token.campaign_id, "token", WEIGHTS["token"], token.address)] if token else []),
        *thread_evidence(in_reply_to, references, threads or {}),
        *text_evidence(campaigns, subject, body),
        *sender_evidence(campaigns, senders),
    ]
    scores = {cid: sum(e.weight for e in evidence if e.campaign_id == cid) for cid in ids}
    ranked = sorted(ids, key=lambda cid: -scores[cid])
    best, second = scores[ranked[0]], scores[ranked[1]]
    chosen = ranked[0] if best >= MIN_SCORE and best - second >= MIN_LEAD else None
    # The thread says one request, the text cites another: not ours to choose.
    pointed = chosen is not None and any(e.campaign_id == chosen and e.signal in _POINTERS for e in evidence)
    cited = cited_instead(chosen, evidence) if pointed and chosen is not None else []
    contradicted, chosen = (chosen, None) if cited else (None, chosen)
    by_outline, outline_evidence = outline_routes(outline)
    files = dict(by_outline)
    unsettled = [p for p in outline if p not in files]
    # Files the outline left open (a cover letter, an unreadable table) follow the message,
    # or the one campaign the other files went to.
    follow = chosen or (next(iter(set(by_outline.values()))) if len(set(by_outline.values())) == 1 else None)
    if follow is not None:
        files.update({p: follow for p in unsettled})
        unsettled = []
    route = Route(chosen, files, scores=scores, evidence=evidence + outline_evidence, token=token,
                  contradicted=contradicted, cited=cited)
    route.candidates = [cid for cid in ranked if scores[cid] > 0 or cid in files.values()] or ranked
    # In doubt when the message's own evidence is not enough for what the outline left open.
    route.doubt = chosen is None and (bool(unsettled) or not files)
    return route
