"""Message-IDs of the mail baocao sends, recognisable when they come back (bounces, copies)."""

from __future__ import annotations

import re
import uuid

DOMAIN = "baocao.invalid"
_OURS = re.compile(r"<?baocao\.[a-z_]+\.[0-9a-f]{32}@" + re.escape(DOMAIN) + r">?", re.I)


def make_message_id(kind: str) -> str:
    """A new Message-ID such as <baocao.reminder.<hex>@baocao.invalid>."""
    safe = re.sub(r"[^a-z_]", "_", kind.lower()) or "mail"
    return f"<baocao.{safe}.{uuid.uuid4().hex}@{DOMAIN}>"


def is_our_message_id(value: str | None) -> bool:
    """Whether a Message-ID (or a header holding one) is one of ours."""
    return bool(value and _OURS.search(value))
