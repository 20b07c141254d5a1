"""Every .eml fixture: MIME decoding and classification match the expected JSON beside it."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import pytest

from parsers.mail import parse_mail
from parsers.mail_classify import MailHints, classify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.eml"))


@pytest.fixture(scope="module")
def spec_and_hints():
    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from flows.app import outline_spec

    campaign = load_campaigns(Path(__file__).resolve().parents[2] / "config" / "campaigns")[0]
    emails = {e for r in read_recipients(campaign.recipients_path) for e in r.emails}
    hints = MailHints(
        our_addresses=frozenset({"tdc@skhcn.quangngai.example"}),
        topic_words=tuple(campaign.mailbox.subject_hints),
        nil_phrases=tuple(campaign.mailbox.nil_phrases),
        ack_phrases=tuple(campaign.mailbox.ack_phrases),
    )
    return outline_spec(campaign), hints, emails


def test_fixture_set_is_complete_and_reproducible():
    sys.path.insert(0, str(FIXTURES.parent))
    from make_mail_fixtures import FIXTURES as MAKERS
    from make_mail_fixtures import build

    assert len(NAMES) == len(MAKERS) >= 20
    for name, (raw, expected) in build().items():
        assert (FIXTURES / f"{name}.eml").read_bytes() == raw, f"{name}.eml is stale: run make_mail_fixtures.py"
        assert (FIXTURES / f"{name}.json").read_bytes() == expected


@pytest.mark.parametrize("name", NAMES)
def test_mime_and_classification(name, spec_and_hints):
    from parsers.api import parse_bytes
    from parsers.responses import candidates_of

    spec, hints, emails = spec_and_hints
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    mail = parse_mail((FIXTURES / f"{name}.eml").read_bytes())
    if "from" in expected:
        assert mail.from_addr == expected["from"]
    if "subject" in expected:
        assert mail.subject == expected["subject"]
    names = [a.filename for a in mail.attachments]
    assert names == expected["attachments"]
    for n in names:
        assert unicodedata.is_normalized("NFC", n) and "/" not in n and "\\" not in n
    if "body_contains" in expected:
        assert expected["body_contains"] in mail.body_text
    if "failed_recipients" in expected:
        assert mail.failed_recipients == expected["failed_recipients"]
    if "forward_senders" in expected:
        assert mail.forward_senders == expected["forward_senders"]
    results = []
    for att in mail.attachments:
        result = parse_bytes(att.data, att.filename, spec)
        results.append(result)
        if att.filename in expected.get("rejected", []):
            assert result.error is not None
    # As decide_mail: only the files that could be read are classified (the others are rejected).
    cands = candidates_of(results)
    kinds, types = [c.result.kind for c in cands], [c.result.doc_type for c in cands]
    got = classify(mail, kinds, hints, known_sender=(mail.from_addr or "") in emails, doc_types=types)
    assert got.kind == expected["classification"], got.reason


@pytest.fixture(scope="module")
def agencies():
    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from parsers.mail_classify import AgencyRef

    campaign = load_campaigns(Path(__file__).resolve().parents[2] / "config" / "campaigns")[0]
    return [
        AgencyRef(i, r.code, r.name, tuple(r.aliases), tuple(r.emails))
        for i, r in enumerate(read_recipients(campaign.recipients_path), start=1)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_attribution_matches_expected(name, spec_and_hints, agencies):
    """Which agencies each fixture is recorded for, or that a person must decide."""
    from parsers.api import parse_bytes
    from parsers.mail_classify import STATE_KINDS, text_for_naming
    from parsers.responses import candidates_of, plan_units

    spec, hints, emails = spec_and_hints
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if expected["classification"] not in STATE_KINDS:
        return
    mail = parse_mail((FIXTURES / f"{name}.eml").read_bytes())
    candidates = candidates_of([parse_bytes(att.data, att.filename, spec) for att in mail.attachments])
    got = classify(mail, [c.result.kind for c in candidates], hints, known_sender=(mail.from_addr or "") in emails)
    units = plan_units(
        agencies,
        got.kind,
        candidates,
        sender=mail.from_addr,
        forwards=mail.forward_senders,
        text=text_for_naming(mail),
        fallback_key="k",
        source_key="mail:1",
    )
    code = {a.recipient_id: a.code for a in agencies}
    recorded = sorted(code[u.attribution.recipient_id] for u in units if u.attribution.recipient_id)
    assert recorded == sorted(expected["recipients"])
    assert any(u.attribution.recipient_id is None for u in units) == bool(expected.get("review"))
