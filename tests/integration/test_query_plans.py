"""Every query on the hot path of a poll uses an index (issue 14): the cost of `ingest mail`,
`ingest folder`, `remind` and the status artifact must not grow with the ledger's history.

The statements are the real ones: captured from the engine while the real services run
against Dovecot and an SMTP capture, then explained by the database itself (EXPLAIN QUERY
PLAN on SQLite; EXPLAIN with sequential scans disabled on PostgreSQL, so a seq scan left in
the plan means no index could serve the query). A full scan of a history table fails; so does
a full scan of one of its indexes, unless the index is a partial one (pending rows only).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES / "mail"))
VN = dt.timezone(dt.timedelta(hours=7))
# Tables that grow with history (every message, file, mail sent, event ever).
HISTORY = {
    "inbound_mail", "inbound_file", "document", "submission", "section_answer", "indicator_value",
    "outbound_mail", "review_item", "event", "blob", "correction", "submission_acceptance", "ocr_job",
}
HISTORY_SIZE = 3_000
PARTIAL = {"ix_inbound_mail_unmarked", "ix_review_item_open", "ix_inbound_mail_failed", "ix_inbound_mail_failed_box", "ix_inbound_file_failed", "ix_inbound_mail_review", "ix_ocr_job_pending"}
# Equality on these alone still reads a whole campaign's or mailbox's history.
SCOPE = {"campaign_id", "mailbox", "uidvalidity"}
# Status reads every response of every active recipient by design (linear in responses, not
# in mail); given all recipient ids, PostgreSQL rightly reads them by campaign. SQLite's plans
# still show the (campaign_id, recipient_id) search, and are checked strictly.
PG_CAMPAIGN_WIDE_OK = {"submission"}


def _columns(table: str) -> set[str]:
    from storage.models import Base

    return {c.name for c in Base.metadata.tables[table].columns}


def narrows(table: str, condition: str, statement: str = "", parameters: object = ()) -> bool:
    """Whether an index condition names a column beyond the campaign/mailbox scope. A
    `recipient_id IN (…)` (status and reminders pass every active recipient) is scope too:
    the search reads all that the campaign's recipients ever sent (SQLite's plan shows it as
    `recipient_id=?`), except for the tables read whole by design (PG_CAMPAIGN_WIDE_OK)."""
    names = set(re.findall(r"[a-z_0-9]+", condition)) & (_columns(table) | {"rowid"})
    scope = SCOPE | {"recipient_id"} if wide_by_recipients(table, statement) else SCOPE
    if sent_mail(table, statement, parameters):
        scope = scope | {"status"}  # nearly every mail ever sent is 'sent'
    return bool(names - scope)


def sent_mail(table: str, statement: str, parameters: object) -> bool:
    """An outbound_mail query for status 'sent' (the state of almost every row)."""
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    return table == "outbound_mail" and "outbound_mail.status =" in statement and "sent" in {str(v) for v in values}


def wide_by_recipients(table: str, statement: str) -> bool:
    return table not in PG_CAMPAIGN_WIDE_OK and re.search(rf"\b{table}\.recipient_id IN\b", statement) is not None


@pytest.fixture
def hot_app(app, dovecot, smtp, tmp_path):
    folder = f"Q{uuid.uuid4().hex[:10]}"
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings()
    app.settings.drop.dir = tmp_path / "drop"
    app.settings.drop.dir.mkdir()
    return app, folder


def capture(engine, seen: list[tuple[str, object]]):
    """Record every SELECT / UPDATE / DELETE the engine runs; returns the listener."""

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, PLR0913
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "UPDATE", "DELETE", "WITH") and not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    return before


def run_hot_path(app, folder: str, dovecot) -> None:
    """A realistic cycle over a ledger that already has history."""
    from flows.app import status_report
    from flows.intake.folder import ingest_folder
    from flows.intake.mail import ingest_mail
    from flows.outbound.reminders import remind

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for i, name in enumerate(("01_report_rfc2231", "05_nil_body_cp1258", "16_disagree_review", "08_auto_reply")):
        dovecot.append((FIXTURES / "mail" / f"{name}.eml").read_bytes(), folder=folder, date=base + dt.timedelta(hours=i))
    assert ingest_mail(app).new >= 2
    ingest_mail(app)  # idle poll
    shutil.copy(FIXTURES / "formats" / "bao-cao.docx", app.settings.drop.dir / "bao-cao.docx")
    ingest_folder(app)
    ingest_folder(app)  # the file is stable now: ingested
    remind(app, now=dt.datetime(2025, 7, 15, 9, 0, tzinfo=VN), manual=True)
    status_report(app)


def sqlite_offences(conn, statement: str, parameters: object) -> list[str]:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    bad = []
    for row in rows:
        detail = row[-1]
        found = re.match(r"(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        if not found or found.group(2) not in HISTORY or found.group(3) in PARTIAL:
            continue
        verb, table, _ = found.groups()
        # SQLite marks the inner side of an outer join: "… (rowid=?) LEFT-JOIN".
        condition = re.search(r"\(([^()]*)\)(?:\s+LEFT-JOIN)?\s*$", detail)
        if verb == "SCAN" or not narrows(table, condition.group(1) if condition else "", statement, parameters):
            bad.append(detail)
    return bad


def _pg_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _pg_nodes(child)


def pg_offences(conn, statement: str, parameters: object) -> list[str]:
    raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    bad = []
    campaign_wide = "recipient_id IN" in statement
    for node in _pg_nodes(plan):
        table = node.get("Relation Name")
        kind = node["Node Type"]
        if table not in HISTORY or (campaign_wide and table in PG_CAMPAIGN_WIDE_OK and kind != "Seq Scan"):
            continue
        if kind == "Seq Scan":
            bad.append(f"Seq Scan on {table}")
        elif kind in ("Index Scan", "Index Only Scan") and node.get("Index Name") not in PARTIAL and not narrows(table, node.get("Index Cond", ""), statement, parameters):
            bad.append(f"{kind} of {node.get('Index Name')} on {table} ({node.get('Index Cond', 'no condition')})")
        elif kind == "Bitmap Heap Scan":
            for child in _pg_nodes(node):
                if child["Node Type"] == "Bitmap Index Scan" and child.get("Index Name") not in PARTIAL and not narrows(table, child.get("Index Cond", ""), statement, parameters):
                    bad.append(f"bitmap scan of {child.get('Index Name')} on {table} ({child.get('Index Cond')})")
    return bad


def test_hot_path_queries_use_indexes(hot_app, dovecot):
    app, folder = hot_app
    from flows.dev.history import seed_ledger
    from flows.intake.mail import ingest_mail

    # History first: months of handled mail (another folder of the same campaign) and a real
    # cycle, whose rows the next cycle must not scan. PostgreSQL plans from statistics.
    with app.session() as session:
        seeded = seed_ledger(session, "de-an-996", "archive@mail.example/INBOX", 1, HISTORY_SIZE)
    assert seeded["outbound_mail"] > 0 and seeded["review_item"] > 0 and seeded["ocr_job"] > 100
    if app.engine.dialect.name == "postgresql":
        with app.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    dovecot.append((FIXTURES / "mail" / "03_word_plus_pdf.eml").read_bytes(), folder=folder, date=dt.datetime(2025, 7, 9, 9, 0, tzinfo=VN))
    ingest_mail(app)
    statements: list[tuple[str, object]] = []
    listener = capture(app.engine, statements)
    try:
        run_hot_path(app, folder, dovecot)
    finally:
        event.remove(app.engine, "before_cursor_execute", listener)
    tables = {t for stmt, _ in statements for t in HISTORY if re.search(rf"\b{t}\b", stmt)}
    assert {"inbound_mail", "outbound_mail", "submission", "review_item", "document", "ocr_job"} <= tables, tables

    offences: dict[str, list[str]] = {}
    with app.engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            bad = (pg_offences if pg else sqlite_offences)(conn, statement, parameters)
            if bad:
                offences[" ".join(statement.split())[:300]] = bad
    assert not offences, json.dumps(offences, indent=1, ensure_ascii=False)


def test_a_scan_is_caught(app):
    """The check itself: a query no index serves is reported on both backends."""
    from storage.models import utcnow  # noqa: F401 — the schema is the migrated one

    with app.engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql("SET enable_seqscan = off")
            statement, params = "SELECT id FROM inbound_mail WHERE subject = %(s)s", {"s": "x"}
        else:
            statement, params = "SELECT id FROM inbound_mail WHERE subject = ?", ("x",)
        assert (pg_offences if pg else sqlite_offences)(conn, statement, params)
