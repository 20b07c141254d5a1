"""The first poll's window (IMAP SINCE): the pure date decision over the open campaigns."""

from __future__ import annotations

import datetime as dt

import pytest

from config.settings import Settings
from flows.intake.inbox import first_poll_since


def test_window_starts_at_the_earliest_open_request_minus_the_margin():
    dates = [dt.date(2025, 8, 1), dt.date(2025, 7, 20), dt.date(2025, 9, 5)]
    assert first_poll_since(dates, 30) == dt.date(2025, 6, 20)
    assert first_poll_since(dates, 0) == dt.date(2025, 7, 20)
    assert first_poll_since(dates[:1], 10) == dt.date(2025, 7, 22)


def test_no_window_when_an_open_campaign_has_no_request_date_or_none_is_open():
    # Its replies could have come at any time: all mail, rather than skipping some.
    assert first_poll_since([dt.date(2025, 8, 1), None], 30) is None
    assert first_poll_since([], 30) is None


def test_margin_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("BAOCAO_IMAP__FIRST_POLL_MARGIN_DAYS", "90")
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path))
    assert Settings(_env_file=None).imap.first_poll_margin_days == 90
    monkeypatch.setenv("BAOCAO_IMAP__FIRST_POLL_MARGIN_DAYS", "-1")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Settings(_env_file=None)
