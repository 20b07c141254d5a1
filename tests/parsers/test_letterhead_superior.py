"""The superior-body line of a letterhead ("TỈNH QUẢNG NGÃI", "UBND TỈNH …") never names the
issuing agency by itself, and a place name never fuzzy-matches an agency named after it."""

from __future__ import annotations

import pytest

from parsers.identity import find_agency
from parsers.model import AgencySpec

AGENCIES = [
    AgencySpec("tinhdoan", "Tỉnh đoàn Quảng Ngãi", ("Tỉnh Đoàn",)),
    AgencySpec("sonv", "Sở Nội vụ", ("SNV",)),
    AgencySpec("soyt", "Sở Y tế", ("SYT",)),
    AgencySpec("hnd", "Hội Nông dân tỉnh", ("Hội ND tỉnh",)),
    AgencySpec("vpubnd", "Văn phòng UBND tỉnh", ()),
    AgencySpec("ubnd-sontinh", "UBND huyện Sơn Tịnh", ("Ủy ban nhân dân huyện Sơn Tịnh",)),
]


@pytest.mark.parametrize(
    ("top", "name"),
    [
        (["TỈNH QUẢNG NGÃI", "UBND HUYỆN BÌNH SƠN"], "UBND HUYỆN BÌNH SƠN"),
        (["TỈNH QUẢNG NGÃI", "UBND THÀNH PHỐ QUẢNG NGÃI"], "UBND THÀNH PHỐ QUẢNG NGÃI"),
        (["UBND TỈNH QUẢNG NGÃI", "UBND HUYỆN MỘ ĐỨC"], "UBND HUYỆN MỘ ĐỨC"),
        (["TỈNH KON TUM", "UBND XÃ ĐĂK HÀ"], "UBND XÃ ĐĂK HÀ"),
        (["UBND HUYỆN NGHĨA HÀNH", "UBND XÃ HÀNH THIỆN"], "UBND XÃ HÀNH THIỆN"),
    ],
)
def test_a_huyen_or_xa_under_a_province_line_is_not_attributed_to_a_provincial_agency(top, name):
    agency = find_agency(top, AGENCIES, body_lines=[f"Thực hiện Công văn …, {name.title()} báo cáo như sau:"])
    assert agency.id is None
    assert agency.name == name


def test_a_province_named_alone_is_not_the_youth_union():
    agency = find_agency(["TỈNH QUẢNG NGÃI"], AGENCIES)
    assert agency.id != "tinhdoan"


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (["UBND TỈNH QUẢNG NGÃI", "SỞ NỘI VỤ"], "sonv"),
        (["TỈNH QUẢNG NGÃI", "SỞ Y TẾ"], "soyt"),
        (["TỈNH ĐOÀN QUẢNG NGÃI"], "tinhdoan"),
        (["BCH ĐOÀN TNCS HỒ CHÍ MINH TỈNH QUẢNG NGÃI"], "tinhdoan"),
        (["ĐOÀN TNCS HỒ CHÍ MINH", "BCH TỈNH QUẢNG NGÃI"], "tinhdoan"),
        (["UBND TỈNH QUẢNG NGÃI", "VĂN PHÒNG"], "vpubnd"),
        (["UBND TỈNH QUẢNG NGÃI", "UBND HUYỆN SƠN TỊNH"], "ubnd-sontinh"),
        (["TỈNH QUẢNG NGÃI", "UBND HUYỆN SƠN TỊNH"], "ubnd-sontinh"),
    ],
)
def test_the_issuing_body_below_its_superior_still_names_the_agency(top, expected):
    assert find_agency(top, AGENCIES).id == expected
