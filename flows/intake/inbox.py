"""One mailbox, many campaigns: the contexts of every open campaign, the evidence from our own
sent mail, and the route of one message (parsers/routing.py decides, purely).

The mailbox folder is the unit of polling: one poll feeds every open campaign. A message is
parsed against each open campaign's outline, classified under each, and — when at least one
campaign sees an answer in it — routed: each file to the campaign whose outline it matches, the
rest by threading, the request's number or subject, and who sent it. In doubt, one review item
names the candidate campaigns; a person chooses (`baocao assign ITEM AGENCY --campaign ID`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from flows.app import App
from flows.intake.context import Context, ParseFn, make_context
from flows.intake.documents import ParsedFile
from parsers.mail import MailMessage
from parsers.mail_classify import Attribution
from parsers.model import OutlineSpec
from parsers.routing import (
    CampaignRef,
    ReplyToken,
    Route,
    distinctive_words,
    envelope_addresses,
    outline_match,
    read_reply_token,
    route_message,
)
from parsers.vocab import ItemStatus
from storage.ingest import open_review
from storage.models import InboundMail
from storage.routing import threads_of


def inbox_context(app: App, campaign_id: str | None = None, parse: ParseFn | None = None) -> Context:
    """The context of the campaign named (or the first open one), with every other open
    campaign as a sibling: what one poll of the mailbox feeds."""
    open_ids = [c.id for c in app.campaigns if c.active] or [app.campaigns[0].id]
    first = campaign_id or open_ids[0]
    ctx = make_context(app, first, parse)
    ctx.siblings = [make_context(app, cid, ctx.parse) for cid in open_ids if cid != first]
    return ctx


def fetch_since(ctx: Context, margin_days: int) -> dt.date | None:
    """The first poll's window over the open campaigns sharing the mailbox
    (BAOCAO_IMAP__FIRST_POLL_MARGIN_DAYS): see `first_poll_since`."""
    return first_poll_since([c.campaign.request.date for c in ctx.every], margin_days)


def first_poll_since(request_dates: list[dt.date | None], margin_days: int) -> dt.date | None:
    """The date a folder's first poll fetches from (IMAP SINCE, by arrival date): the
    earliest of the open campaigns' request dates minus `margin_days`. None (all mail) when
    there is no open campaign or one of them has no request date: its replies could have come
    at any time, and skipping them would lose mail, while fetching too much only costs time."""
    if not request_dates or any(d is None for d in request_dates):
        return None
    return min(d for d in request_dates if d is not None) - dt.timedelta(days=max(margin_days, 0))


def campaign_refs(ctx: Context) -> list[CampaignRef]:
    """What routing knows of each open campaign."""
    return [
        CampaignRef(
            c.campaign.id,
            number=c.campaign.request.number or "",
            subject=c.campaign.request.subject or "",
            emails=frozenset(e for a in c.agencies for e in a.emails),
            codes=frozenset(a.code for a in c.agencies),
        )
        for c in ctx.every
    ]


def _coverage(f: ParsedFile, spec: OutlineSpec, distinctive: set[str]) -> float | None:
    """How far a file follows the outline (parsers.routing.outline_match); None when unreadable."""
    if f.rejection is not None or f.result is None:
        return None
    return outline_match(f.result, spec, distinctive)


def reply_token(ctx: Context, raw: bytes) -> ReplyToken | None:
    """The reply token the message was addressed to, when reply tokens are on."""
    smtp = ctx.app.settings.smtp
    if not smtp.reply_tokens:
        return None
    return read_reply_token(envelope_addresses(raw), smtp.sender, campaign_refs(ctx))


def route_mail(ctx: Context, mail: MailMessage, raw: bytes, parsed: dict[str, list[ParsedFile]], *, session: Session) -> Route:
    """Gather the evidence and route the message (parsed: each campaign's parse of the files)."""
    outline: dict[int, dict[str, float]] = {}
    specs = {c.campaign.id: c.spec for c in ctx.every}
    distinctive = distinctive_words(specs)
    for cid, files in parsed.items():
        for part, f in enumerate(files):
            cover = _coverage(f, specs[cid], distinctive[cid])
            if cover is not None:
                outline.setdefault(part, {})[cid] = cover
    return route_message(
        [ref for ref in campaign_refs(ctx) if ref.id in parsed],
        subject=mail.subject,
        body=mail.new_text,
        senders=[a for a in (mail.from_addr, mail.reply_to) if a],
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        threads=threads_of([mail.in_reply_to or "", *mail.references], session=session),
        token=reply_token(ctx, raw),
        outline=outline,
    )


def route_file(ctx: Context, rel: str, parsed: dict[str, list[ParsedFile]]) -> Route:
    """Route a dropped file between the open campaigns, as a message would be: its path (folder
    and file name, like a subject) and its text citing a request's number or subject, and how
    far it follows each outline (parsed: each campaign's parse of the one file)."""
    specs = {c.campaign.id: c.spec for c in ctx.every}
    distinctive = distinctive_words(specs)
    outline: dict[int, dict[str, float]] = {}
    text = ""
    for cid, files in parsed.items():
        cover = _coverage(files[0], specs[cid], distinctive[cid])
        if cover is not None:
            outline.setdefault(0, {})[cid] = cover
        result = files[0].result
        if result is not None and not text:
            text = " ".join([result.extra_text, *(s.text for s in result.sections.values())])
    return route_message(
        [ref for ref in campaign_refs(ctx) if ref.id in parsed],
        subject=rel.replace("/", " ").replace("_", " "),
        body=text,
        outline=outline,
    )


@dataclass
class Share:
    """The part of a message one campaign gets: its context, its files (original positions)."""

    ctx: Context
    parts: list[int]


def shares(ctx: Context, route: Route, parsed: dict[str, list[ParsedFile]]) -> list[Share]:
    """Each target campaign with its files; unreadable files go with the first target."""
    by_id = {c.campaign.id: c for c in ctx.every}
    targets = route.targets
    count = len(next(iter(parsed.values()), []))
    unread = [p for p in range(count) if p not in route.files]
    return [
        Share(by_id[cid], sorted(route.files_for(cid) + (unread if i == 0 else [])))
        for i, cid in enumerate(targets)
    ]


def token_attribution(ctx: Context, route: Route) -> Attribution | None:
    """The agency a reply token names, when it belongs to this campaign."""
    token = route.token
    if token is None or token.campaign_id != ctx.campaign.id:
        return None
    recipient = next((a for a in ctx.agencies if a.code == token.code), None)
    return Attribution(recipient.recipient_id, "reply_token") if recipient else None


def open_route_review(ctx: Context, row: InboundMail, route: Route, *, session: Session) -> dict[str, Any]:
    """A message no campaign can claim for sure: one review item naming the candidates."""
    titles = {c.campaign.id: c.campaign.title for c in ctx.every}
    received_at = row.internal_date or row.date_header or row.created_at
    names = ", ".join(route.candidates)
    reason = f"không rõ thư thuộc chiến dịch nào (có thể: {names})"
    if route.contradicted:
        numbers = {c.campaign.id: c.campaign.request.number for c in ctx.every}
        cited = ", ".join(f"{cid} (Công văn số {numbers.get(cid) or '…'})" for cid in route.cited)
        reason = (
            f"thư nằm trong chuỗi thư của chiến dịch {route.contradicted} nhưng nội dung dẫn công văn của"
            f" chiến dịch khác: {cited}; cán bộ chọn chiến dịch (có thể: {names})"
        )
    item = open_review(
        {
            "campaign_id": None,
            "source_key": f"route:{row.id}",
            "inbound_mail_id": row.id,
            "reason": reason,
            "candidates": [
                {"campaign": cid, "title": titles.get(cid, cid), "score": route.scores.get(cid, 0)}
                for cid in route.candidates
            ],
            "plan": {"kind": "route", "campaigns": route.candidates, "received_at": received_at.isoformat(), "channel": "email"},
        },
        session=session,
    )
    return {"status": ItemStatus.REVIEW, "review_item": item.id, "campaigns": route.candidates}
