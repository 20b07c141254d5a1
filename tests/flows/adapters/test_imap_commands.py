"""The IMAP adapter's command building: sequence sets, chunks, ASCII-only SEARCH, refusals."""

from __future__ import annotations

import datetime as dt
import imaplib

import pytest

from flows.adapters import imap
from flows.adapters.imap import (
    MailboxBusy,
    MailboxError,
    chunk_uids,
    is_refusal,
    search_criteria,
    uid_set,
    with_backoff,
)


def test_uid_set_collapses_runs():
    assert uid_set([5, 1, 2, 3, 7, 8, 10]) == "1:3,5,7:8,10"
    assert uid_set(list(range(1, 10_001))) == "1:10000"
    assert uid_set([]) == ""


def test_chunks_cut_by_count_and_by_bytes():
    uids = list(range(1, 11))
    assert [len(c) for c in chunk_uids(uids, {}, 4, 10**9)] == [4, 4, 2]
    sizes = {u: 10 for u in uids} | {5: 1000}
    chunks = list(chunk_uids(uids, sizes, 100, 100))
    assert [5] in chunks  # a message bigger than the cap travels alone
    assert all(sum(sizes[u] for u in c) <= 100 for c in chunks if c != [5])
    assert [u for c in chunks for u in c] == uids  # order kept, nothing lost


def test_search_uses_only_uids_a_keyword_and_a_date():
    criteria = search_criteria(41, "BaocaoProcessed", dt.date(2025, 6, 1))
    assert criteria == "(SINCE 1-Jun-2025 UNKEYWORD BaocaoProcessed UID 42:*)"
    assert search_criteria(0, None, None) == "(UID 1:*)"
    with pytest.raises(MailboxError, match="từ khóa"):
        search_criteria(0, "Đã xử lý", None)


@pytest.mark.parametrize(
    ("text", "temporary"),
    [
        ("[LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)", True),
        ("[UNAVAILABLE] Temporary authentication failure", True),
        ("Account exceeded command or bandwidth limits", True),
        ("[INUSE] Mailbox in use", True),
        ("[AUTHENTICATIONFAILED] Authentication failed.", False),
        ("FETCH failed: unknown command", False),
    ],
)
def test_refusals_are_told_from_errors(text, temporary):
    assert is_refusal(imaplib.IMAP4.error(text)) is temporary


def test_backoff_retries_then_gives_up_with_a_clear_message(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(imap.time, "sleep", slept.append)
    calls = []

    def refuse():
        calls.append(1)
        raise imaplib.IMAP4.error("[LIMIT] too many connections")

    with pytest.raises(MailboxBusy, match="sẽ thử tiếp ở lần chạy sau"):
        with_backoff(refuse, "kết nối", (1.0, 4.0))
    assert len(calls) == 3 and slept == [1.0, 4.0]

    answers = iter([imaplib.IMAP4.error("[THROTTLED] slow down"), "ok"])

    def flaky():
        item = next(answers)
        if isinstance(item, Exception):
            raise item
        return item

    assert with_backoff(flaky, "tải thư", (0.5,)) == "ok"

    def broken():
        raise imaplib.IMAP4.error("BAD command")

    with pytest.raises(imaplib.IMAP4.error):
        with_backoff(broken, "tải thư", (0.5,))  # a real error is not retried


def test_fetch_response_read_with_the_uid_before_or_after_the_body():
    date = b'INTERNALDATE "04-Aug-2025 08:00:00 +0700"'
    before = [(b"1 (UID 7 FLAGS () " + date + b" BODY[] {3}", b"abc"), b")"]
    after = [(b"1 (" + date + b" BODY[] {3}", b"abc"), b" UID 7 FLAGS ())"]  # Exchange, mail.ru
    for data in (before, after):
        (mail,) = imap._parse_fetch(data)
        assert (mail.uid, mail.raw) == (7, b"abc")
        assert mail.internal_date == dt.datetime(2025, 8, 4, 1, 0, tzinfo=dt.UTC)


def test_a_fetched_body_without_any_uid_stops_the_run_instead_of_vanishing():
    with pytest.raises(MailboxError, match="không kèm UID"):
        list(imap._parse_fetch([(b"1 (BODY[] {3}", b"abc"), b" FLAGS ())"]))
