"""A fetched chunk's ledger look-up (issue 14, first pass): one query for the chunk, and
every message whose keys the ledger or an earlier message of the chunk holds is still looked
up on its own — copies inside one chunk are found."""

from __future__ import annotations

from pathlib import Path

from flows.intake.mail import new_in_chunk
from tests.conftest import CONFIG_DIR


def test_new_only_when_no_key_is_held_nor_seen_earlier_in_the_chunk() -> None:
    known = ({3}, {"sha-held"}, {"<held@x>"})
    keys = [
        (1, "sha-a", "<a@x>"),  # new
        (2, "sha-a", "<b@x>"),  # the same bytes as UID 1, in this chunk
        (3, "sha-c", None),  # its own row is held (a retry, a re-fetch)
        (4, "sha-held", None),  # a copy of a held row
        (5, "sha-e", "<held@x>"),  # a held Message-ID
        (6, "sha-f", "<a@x>"),  # the Message-ID of UID 1, in this chunk
        (7, "sha-g", None),  # new, no Message-ID
        (8, "sha-h", None),  # new: no Message-ID is no match
    ]
    assert new_in_chunk(keys, known) == [True, False, False, False, False, False, True, True]


def test_copies_inside_one_fetched_chunk_are_duplicates(tmp_path: Path) -> None:
    from config.settings import Settings
    from flows.app import App, init
    from flows.dev.fake_imap import DemoImapServer
    from flows.intake.mail import ingest_mail

    app = App(Settings(_env_file=None, data_dir=tmp_path / "data", config_dir=CONFIG_DIR))
    init(app)
    raw = (
        "From: nguoi@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: Trao đổi\r\n"
        "Message-ID: <mot@congty.example>\r\nDate: Mon, 04 Aug 2025 08:00:00 +0700\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nNội dung.\r\n"
    ).encode()
    second_delivery = raw.replace(b"From:", b"Received: from relay2\r\nFrom:", 1)
    with DemoImapServer() as server:
        for data in (raw, b"X-Other: 1\r\n" + raw.replace(b"<mot@", b"<hai@"), raw, second_delivery):
            server.append(data)
        app.settings.imap = server.settings()
        report = ingest_mail(app, receipts=False).to_json()
    statuses = [item["status"] for item in report["items"]]
    assert statuses[0] != "duplicate" and statuses[1] != "duplicate"
    assert statuses[2:] == ["duplicate", "duplicate"], report["items"]
    app.engine.dispose()
