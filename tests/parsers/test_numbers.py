"""Vietnamese numbers in table cells."""

from __future__ import annotations

import pytest

from parsers.numbers import clean_text, number_value, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.250", 1250),
        ("1.250.000", 1_250_000),
        ("12,5", 12.5),
        ("1.250,5", 1250.5),
        ("1,250.5", 1250.5),
        ("05", 5),
        ("0", 0),
        ("100%", 100),
        ("80 %", 80),
        ("15 chuẩn", 15),
        ("khoảng 20 người", 20),
        ("1.5", 1.5),
        ("12.50", 12.5),
        ("0.125", 0.125),
        ("0,125", 0.125),
        ("1,250", 1250),
        ("1,250,000", 1_250_000),
        ("1 250", 1250),
        ("1\u00a0250", 1250),
        ("92,3%", 92.3),
        ("-", None),
        ("–", None),
        ("x", None),
        ("X", None),
        ("Không", None),
        ("không có", None),
        ("Không có.", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("…", None),
        ("đang cập nhật", None),
        ("#DIV/0!", None),
    ],
)
def test_vietnamese_numbers(text: str | None, expected: float | None) -> None:
    assert number_value(text) == expected


def test_numeric_values_pass_through() -> None:
    assert parse_number(1250).value == 1250
    assert parse_number(0.8).value == 0.8
    assert parse_number(12.0).raw == "12"
    assert parse_number(float("nan")).value is None
    assert parse_number(True).value is None


def test_raw_text_and_doubts_are_kept() -> None:
    n = parse_number(" 1,250 ")
    assert (n.value, n.raw, n.ambiguous) == (1250, "1,250", True)
    assert parse_number("12,5").ambiguous is False
    bad = parse_number("đang cập nhật")
    assert bad.unreadable and bad.raw == "đang cập nhật"
    assert parse_number("Không").unreadable is False


def test_nfd_text_is_normalised() -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "15 chuẩn")
    n = parse_number(nfd)
    assert n.value == 15 and n.raw == unicodedata.normalize("NFC", "15 chuẩn")
    assert clean_text("a\u00a0 b\n c") == "a b c"


def test_several_numbers_take_the_first_and_say_so() -> None:
    n = parse_number("02 chuẩn, 03 phương tiện đo")
    assert (n.value, n.several) == (2, True)
    assert parse_number("1.250 lượt").several is False
    assert parse_number("80 %").several is False


def test_words_meaning_none_are_not_unreadable() -> None:
    for text in ("Không giao", "Chưa triển khai", "không thực hiện"):
        n = parse_number(text)
        assert n.value is None and not n.unreadable, text
    assert parse_number("đang tổng hợp").unreadable


def test_one_number_formatter_everywhere() -> None:
    """Receipts, the report, the web and the CLI print numbers through the same function."""
    import flows.outbound.receipts
    import flows.web.filters
    import reports.consolidate
    from parsers.numbers import vn_number

    assert reports.consolidate.vn_number is vn_number
    assert flows.outbound.receipts.vn_number is vn_number
    assert vn_number(2.675) == "2,68" and flows.web.filters.vn_number(2.675) == "2,68"
    assert vn_number(1250) == "1.250" and vn_number(12.5) == "12,5" and vn_number(None, blank="—") == "—"


@pytest.mark.parametrize(
    ("text", "value", "word"),
    [
        ("khoảng 1.200", 1200, "khoảng"),
        ("trên 1.300", 1300, "trên"),
        ("Khoảng: 1.200", 1200, "khoảng"),
        ("(khoảng) 1.200", 1200, "khoảng"),
        ("1.200 (ước tính)", 1200, "ước tính"),
        ("1.200 lượt (ước)", 1200, "ước"),
        ("ước: 1.200", 1200, "ước"),
        ("1.200 (tạm tính)", 1200, "tạm tính"),
        ("khoang 1.200", 1200, "khoang"),
        ("tren 1.300", 1300, "tren"),
        ("1.300 trở lên", 1300, "trở lên"),
    ],
)
def test_approximate_forms_are_flagged(text: str, value: float, word: str) -> None:
    n = parse_number(text)
    assert (n.value, n.approx) == (value, word)


@pytest.mark.parametrize("text", ["1.200", "01 Công ước", "nước sạch 1.200", "1.200 lượt người"])
def test_exact_figures_are_not_approximate(text: str) -> None:
    assert parse_number(text).approx == ""
