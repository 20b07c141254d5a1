"""End to end: the real parser on the fixture reports, `record_submission`, then the report.

Totals in the report must equal the sum of what the parser read from each agency's file
(only the files kept: the latest valid report of each agency; nil reports bring no figures).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from docx import Document as WordDocument
from sqlalchemy import select

from flows.app import App, outline_spec
from flows.report import build_report
from parsers.api import parse_bytes
from reports.consolidate import rate_of
from storage.models import RecipientRow
from storage.submissions import record_submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docx"
RECEIVED = dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC)


def test_parsed_fixtures_consolidate(app: App, tmp_path: Path) -> None:
    campaign = app.campaign()
    spec = outline_spec(campaign)
    kept: dict[str, dict] = {}
    nil: set[str] = set()
    with app.session() as s:
        ids = {r.code: (r.id, r.name) for r in s.scalars(select(RecipientRow))}
        for n, path in enumerate(sorted(FIXTURES.glob("*.docx"))):
            data = path.read_bytes()
            result = parse_bytes(data, path.name, spec)
            code = result.agency.id
            if result.error or result.kind not in ("report", "nil_report") or code not in ids:
                continue
            parsed = result.to_json()
            record_submission(
                session=s, campaign_id=campaign.id, recipient_id=ids[code][0], kind=result.kind,
                received_at=RECEIVED + dt.timedelta(minutes=n), channel="folder",
                content_key=hashlib.sha256(data).hexdigest(), parsed=result,
                section_ids=[x.id for x in spec.sections], row_ids=[x.id for x in spec.rows],
            )
            kept[code] = parsed  # later files of the same agency supersede earlier ones
            if result.kind == "nil_report":
                nil.add(code)
    reports = {c: p for c, p in kept.items() if c not in nil}
    assert len(reports) >= 5, "the fixtures should give several reports"
    out = build_report(app, out_dir=tmp_path, now=RECEIVED + dt.timedelta(days=5))
    for row in spec.rows:
        rows = [p["indicators"].get(row.id) or {} for p in reports.values()]
        plans = [r["plan"] for r in rows if r.get("plan") is not None]
        results = [r["result"] for r in rows if r.get("result") is not None]
        both = [(r["plan"], r["result"]) for r in rows if r.get("plan") is not None and r.get("result") is not None]
        got = out["totals"][row.id]
        # A column nobody filled stays blank; otherwise the sum of those who gave it.
        for key, values in (("plan", plans), ("result", results)):
            assert (got[key] is None) if not values else abs(got[key] - sum(values)) < 1e-6, (row.id, key)
            assert got[f"{key}_n"] == len(values), (row.id, key)
        # The rate only over the agencies that gave both figures.
        expected = rate_of(sum(p for p, _ in both), sum(r for _, r in both)) if both else None
        assert got["rate"] == expected and got["rate_n"] == len(both), row.id
    responded = {r["id"]: r["state"] for r in out["responded"]}
    assert responded == {c: ("nil_report" if c in nil else "submitted") for c in kept}
    text = "\n".join(p.text for p in WordDocument(out["files"][0]).paragraphs)
    for code in reports:
        assert f"{ids[code][1]}:" in text or f"{ids[code][1]}," in text, code
    assert "{{" not in text
