"""Legacy Vietnamese encodings (TCVN3/ABC, VNI) and text normalisation."""

from __future__ import annotations

import unicodedata

import pytest

from parsers import vnlegacy
from parsers.textnorm import clean, fold, fold_words, has_leader, is_leader_only, strip_leaders

SENTENCES = [
    "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi đề nghị các cơ quan, đơn vị báo cáo kết quả thực hiện Đề án 996.",
    "Trung tâm đã kiểm định, hiệu chuẩn 2.350 phương tiện đo cho 126 doanh nghiệp trên địa bàn tỉnh.",
    "Khó khăn, vướng mắc: kinh phí đầu tư còn hạn chế; thiếu kiểm định viên có chuyên môn sâu.",
    "Ưu tiên nghiên cứu, thương mại hóa chất chuẩn; tuyên truyền trên Báo Quảng Ngãi và Đài PT-TH.",
    "Nguyễn Thị Tuyết Nhung, Phạm Quốc Hưng, Đặng Ngọc Ẩn, Huỳnh Tấn Lực, Trương Thị Mỹ Dung.",
]


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_round_trip_real_sentences(encoding: str, sentence: str) -> None:
    legacy = vnlegacy.from_unicode(sentence, encoding)  # type: ignore[arg-type]
    assert legacy != sentence
    assert vnlegacy.to_unicode(legacy, encoding) == sentence  # type: ignore[arg-type]
    assert vnlegacy.detect(legacy) == encoding


def test_known_byte_values() -> None:
    # ".VnTime" text as Word stores it: "Vi\xd6t Nam", "\xa7\xb8nh gi\xb8" (TCVN3 bytes via cp1252).
    assert vnlegacy.tcvn3_to_unicode("Vi\xd6t Nam") == "Việt Nam"
    assert vnlegacy.tcvn3_to_unicode("\xa7\xb8nh gi\xb8") == "Đánh giá"
    assert vnlegacy.vni_to_unicode("Vieät Nam") == "Việt Nam"
    assert vnlegacy.vni_to_unicode("ÑAÙNH GIAÙ") == "ĐÁNH GIÁ"


def test_caps_fonts_draw_capitals() -> None:
    legacy = vnlegacy.from_unicode("báo cáo sơ kết", "tcvn3")
    assert vnlegacy.convert_run(legacy, ".VnTimeH") == "BÁO CÁO SƠ KẾT"
    assert vnlegacy.convert_run(legacy, ".VnTime") == "báo cáo sơ kết"


def test_font_names() -> None:
    assert vnlegacy.font_encoding(".VnTime") == "tcvn3"
    assert vnlegacy.font_encoding(".VnArialH") == "tcvn3"
    assert vnlegacy.font_encoding("VNI-Times") == "vni"
    assert vnlegacy.font_encoding("Times New Roman") is None
    assert vnlegacy.convert_run("Café", "Times New Roman") == "Café"


@pytest.mark.parametrize("text", ["Café Müller résumé", "Tổng số 1.250 phương tiện", "São Paulo à la carte", "abc"])
def test_detector_leaves_unicode_and_foreign_text_alone(text: str) -> None:
    assert vnlegacy.detect(text) == "unicode"
    assert vnlegacy.fix_text(text) == text


def test_clean_nfc_nbsp_and_whitespace() -> None:
    nfd = unicodedata.normalize("NFD", "Sở  Y\u00a0tế\u200b\t báo cáo")
    assert clean(nfd) == "Sở Y tế báo cáo"
    assert unicodedata.is_normalized("NFC", clean(nfd))


def test_fold_for_matching() -> None:
    assert fold("Đề Án ĐO LƯỜNG") == "de an do luong"


def test_fold_same_with_characters_past_the_fast_table() -> None:
    # Text with a character past the list table's end (an ideographic space, a BOM, "€") is
    # folded through the dict: the same answer either way, spaces and zero-width included.
    assert fold("Đề\u3000Án\ufeff ĐO  LƯỜNG €") == "de an do luong €"
    assert fold("Đề\u2003Án\u200b ĐO  LƯỜNG") == "de an do luong"
    assert fold_words("“Đề án” – 996:\u3000ĐO lường") == "de an 996 do luong"


def test_clean_without_special_spaces_only_collapses() -> None:
    assert clean("  Sở   Y tế  ") == "Sở Y tế"
    assert clean("Sở\u202fY\u3000tế\ufeff") == "Sở Y tế"


def test_leaders() -> None:
    assert is_leader_only("……………………;")
    assert is_leader_only("...................")
    assert is_leader_only("____ :")
    assert not is_leader_only("Không có.")
    assert has_leader("đo lường: ………")
    assert strip_leaders("………… Sở đã ban hành kế hoạch ……;") == "Sở đã ban hành kế hoạch"
    assert strip_leaders("……………;") == ""
