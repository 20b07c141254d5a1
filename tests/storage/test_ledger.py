"""The ledger's hot-path statements (issue 14, first pass): one look-up finds a message's own
row and an earlier copy; a row-only message is one INSERT with its final values; the last UID
never goes backwards. On SQLite and PostgreSQL."""

from __future__ import annotations

from flows.app import App
from storage.blobs import record_blob
from storage.ingest import add_mail, advance_mailbox, known_keys, ledger_entry, mailbox_state
from storage.models import Document, InboundMail

BOX = "test/INBOX"


def _mail(app: App, session, uid: int, raw: bytes, *, message_id: str | None, sender: str = "a@x.vn", status: str = "processed") -> int:
    sha = record_blob(app.blobs, raw, session=session)
    row_id = add_mail(
        {"mailbox": BOX, "uidvalidity": 7, "uid": uid, "message_id": message_id, "raw_sha256": sha,
         "from_addr": sender, "subject": "s", "status": status, "classification": "unrelated"},
        session=session,
    )
    assert row_id is not None
    return row_id


def test_ledger_entry_finds_own_row_and_copies_in_one_look_up(app: App) -> None:
    from storage.blobs import sha256_hex

    with app.session() as s:
        first = _mail(app, s, 1, b"raw one", message_id="<m1@x>")
        failed = _mail(app, s, 2, b"raw two", message_id="<m2@x>", status="failed")
        with_file = _mail(app, s, 3, b"raw three", message_id="<m3@x>")
        record_blob(app.blobs, b"file", session=s)
        s.add(Document(inbound_mail_id=with_file, part_index=0, sha256=sha256_hex(b"file"), filename="a.docx", parse_result={}))
    with app.session() as s:
        # A new message: nothing.
        assert ledger_entry(BOX, 7, 10, sha256_hex(b"new"), "<new@x>", "a@x.vn", [], session=s) == (None, None)
        # The same bytes under another UID: a copy of the first.
        own, copy = ledger_entry(BOX, 7, 11, sha256_hex(b"raw one"), None, "a@x.vn", [], session=s)
        assert own is None and copy is not None and copy.id == first
        # A failed row is no copy.
        assert ledger_entry(BOX, 7, 12, sha256_hex(b"raw two"), "<m2@x>", "a@x.vn", [], session=s) == (None, None)
        # The same Message-ID: a copy only from the same sender with the same files.
        other_bytes = sha256_hex(b"raw three, other Received lines")
        assert ledger_entry(BOX, 7, 13, other_bytes, "<m3@x>", "a@x.vn", [sha256_hex(b"file")], session=s)[1].id == with_file
        assert ledger_entry(BOX, 7, 13, other_bytes, "<m3@x>", "b@x.vn", [sha256_hex(b"file")], session=s) == (None, None)
        assert ledger_entry(BOX, 7, 13, other_bytes, "<m3@x>", "a@x.vn", [], session=s) == (None, None)
        # The message's own row; rows after it are no copies of it.
        own, copy = ledger_entry(BOX, 7, 2, sha256_hex(b"raw two"), "<m2@x>", "a@x.vn", [], session=s)
        assert own is not None and own.id == failed and copy is None
        own, copy = ledger_entry(BOX, 7, 1, sha256_hex(b"raw one"), "<m1@x>", "a@x.vn", [], session=s)
        assert own is not None and own.id == first and copy is None


def test_add_mail_inserts_once_with_final_values(app: App) -> None:
    with app.session() as s:
        row_id = _mail(app, s, 5, b"raw five", message_id="<m5@x>")
        sha = record_blob(app.blobs, b"raw five", session=s)
        again = add_mail({"mailbox": BOX, "uidvalidity": 7, "uid": 5, "raw_sha256": sha, "status": "received"}, session=s)
        assert again is None  # (mailbox, uidvalidity, uid) holds it: nothing written
    with app.session() as s:
        row = s.get(InboundMail, row_id)
        assert row is not None and row.status == "processed" and row.classification == "unrelated" and row.details == {}


def test_advance_mailbox_never_goes_backwards(app: App) -> None:
    with app.session() as s:
        mailbox_state(BOX, 7, session=s)
        advance_mailbox(BOX, 7, 9, session=s)
        advance_mailbox(BOX, 7, 4, session=s)
        advance_mailbox(BOX, 8, 3, session=s)  # no row yet under this UIDVALIDITY: created
    with app.session() as s:
        assert mailbox_state(BOX, 7, session=s)[0].last_uid == 9
        assert mailbox_state(BOX, 8, session=s)[0].last_uid == 3


def test_known_keys_reads_a_whole_chunk_in_one_query(app: App) -> None:
    """The chunk's keys the ledger holds: own UIDs of this folder, raw bytes, Message-IDs."""
    from storage.blobs import sha256_hex

    with app.session() as s:
        _mail(app, s, 1, b"raw one", message_id="<m1@x>")
        _mail(app, s, 2, b"raw two", message_id=None)
    keys = [
        (1, sha256_hex(b"other bytes"), None),  # own row by UID
        (20, sha256_hex(b"raw two"), "<new@x>"),  # same bytes
        (21, sha256_hex(b"new"), "<m1@x>"),  # same Message-ID
        (22, sha256_hex(b"newer"), "<newer@x>"),  # nothing
    ]
    with app.session() as s:
        uids, shas, message_ids = known_keys(BOX, 7, keys, session=s)
        assert 1 in uids and 22 not in uids and 20 not in uids
        assert sha256_hex(b"raw two") in shas and sha256_hex(b"newer") not in shas
        assert message_ids == {"<m1@x>"}
        # Another folder's UID 1 is not this folder's.
        assert 1 not in known_keys("other/INBOX", 7, [(1, sha256_hex(b"x"), None)], session=s)[0]
        # More keys than one statement binds: read in batches, nothing missed.
        many = [(1000 + i, sha256_hex(str(i).encode()), f"<k{i}@x>") for i in range(1200)] + [(2, sha256_hex(b"y"), None)]
        assert known_keys(BOX, 7, many, session=s)[0] == {2}
