"""Message-IDs of the mail baocao sends, recognisable when they come back (bounces, copies).

The domain part is the sender's domain (RFC 5322 §3.6.4: a domain the sender controls), so
receiving servers and spam filters see a Message-ID that matches the From address; without a
configured sender it is the reserved `baocao.invalid`. Ours are recognised by the local part
(`baocao.<kind>.<32 hex>`), whatever the domain, so mail sent before a change of sender
still threads."""

from __future__ import annotations

import re
import uuid

DOMAIN = "baocao.invalid"
_OURS = re.compile(r"<?baocao\.[a-z_]+\.[0-9a-f]{32}@[a-z0-9.-]+>?", re.I)
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$", re.I)


def message_id_domain(sender: str | None) -> str:
    """The domain of the sender's address (`tdc@skhcn.quangngai.gov.vn` → `skhcn.quangngai.gov.vn`),
    or `baocao.invalid` when there is no usable one (none configured, an internationalised name)."""
    domain = (sender or "").rpartition("@")[2].strip().rstrip(">").lower()
    return domain if "@" in (sender or "") and _DOMAIN.match(domain) else DOMAIN


def make_message_id(kind: str, sender: str | None = None) -> str:
    """A new Message-ID such as <baocao.reminder.<hex>@skhcn.quangngai.gov.vn> (the sender's domain)."""
    safe = re.sub(r"[^a-z_]", "_", kind.lower()) or "mail"
    return f"<baocao.{safe}.{uuid.uuid4().hex}@{message_id_domain(sender)}>"


def is_our_message_id(value: str | None) -> bool:
    """Whether a Message-ID (or a header holding one) is one of ours."""
    return bool(value and _OURS.search(value))
