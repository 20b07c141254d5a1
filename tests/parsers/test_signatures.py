"""Digital signatures of PDFs, checked with pyHanko against a test CA made in the test."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.dev.sign_fixtures import make_ca, make_signer, modified_after_signing, sign
from parsers.api import parse_bytes
from parsers.model import OutlineSpec
from parsers.signatures import UNVERIFIED, read_signatures

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "tests" / "fixtures" / "formats" / "bao-cao.pdf"  # the Sở Xây dựng report
SXD = "Sở Xây dựng tỉnh Quảng Ngãi"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture(scope="module")
def signed(ca) -> bytes:
    person = make_signer(ca, cn="Nguyễn Văn Dũng", o=SXD, ou="Văn phòng Sở")
    return sign(REPORT.read_bytes(), person, ca)


def _codes(result) -> list[str]:
    return [p.code for p in result.problems]


def test_signer_subject_time_and_no_trust_store(signed: bytes, spec: OutlineSpec) -> None:
    (facts,) = read_signatures(signed)
    assert (facts.signer_o, facts.signer_ou, facts.signer_cn) == (SXD, "Văn phòng Sở", "Nguyễn Văn Dũng")
    assert facts.intact and facts.valid and not facts.modified_after and not facts.expired
    assert facts.trusted is None and facts.signing_time is not None and facts.signing_time.utcoffset().total_seconds() == 7 * 3600
    assert facts.summary.startswith(f"Đã ký số bởi Nguyễn Văn Dũng ({SXD}) lúc ") and UNVERIFIED in facts.summary
    result = parse_bytes(signed, "bc.pdf", spec)
    assert result.error is None and result.agency.id == "soxd" and result.signatures[0].agency_id == "soxd"
    assert "signature_untrusted" in _codes(result) and f"ký số bởi {SXD}" in result.evidence


def test_a_trusted_chain_is_strong_attribution(signed: bytes, ca, spec: OutlineSpec) -> None:
    result = parse_bytes(signed, "bc.pdf", spec, trust=(ca.pem,))
    assert result.signatures[0].trusted is True and result.agency.id == "soxd" and result.agency.score == 1.0
    assert not [c for c in _codes(result) if c.startswith("signature_")]
    assert "nhà cung cấp tin cậy" in result.to_json()["signatures"][0]["summary"]


def test_a_chain_to_another_ca_is_not_trusted(signed: bytes, spec: OutlineSpec) -> None:
    stranger = make_ca("CA lạ", "Công ty Chứng thực Không rõ")
    result = parse_bytes(signed, "bc.pdf", spec, trust=(stranger.pem,))
    assert result.signatures[0].trusted is False and "signature_untrusted" in _codes(result)


def test_modified_after_signing_is_a_problem(signed: bytes, ca, spec: OutlineSpec) -> None:
    changed = modified_after_signing(signed)
    (facts,) = read_signatures(changed, [ca.pem])
    assert facts.intact and facts.modified_after and not facts.ok
    result = parse_bytes(changed, "bc-sua.pdf", spec, trust=(ca.pem,))
    assert "signature_modified" in _codes(result) and "sửa sau khi ký" in result.signatures[0].summary


def test_two_signatures_and_a_tampered_byte(signed: bytes, ca) -> None:
    second = make_signer(ca, cn="Trần Thị Hoà", o=SXD, ou="Lãnh đạo Sở")
    twice = sign(signed, second, ca, field="ChuKy2")
    first, last = read_signatures(twice, [ca.pem])
    assert (first.field, last.field) == ("ChuKy1", "ChuKy2") and first.ok and last.ok  # a later signature is allowed
    assert last.signer_cn == "Trần Thị Hoà" and first.trusted and last.trusted
    tampered = bytearray(signed)
    at = tampered.index(b"/Producer")
    tampered[at + 1 : at + 3] = b"XX"
    (facts,) = read_signatures(bytes(tampered), [ca.pem])
    assert not facts.intact and "không hợp lệ" in facts.summary


def test_an_expired_certificate(ca, spec: OutlineSpec) -> None:
    old = make_signer(ca, cn="Lê Văn Tám", o=SXD, expired=True)
    result = parse_bytes(sign(REPORT.read_bytes(), old, ca), "bc.pdf", spec, trust=(ca.pem,))
    assert result.signatures[0].expired and result.signatures[0].trusted is False
    assert "signature_expired" in _codes(result)


def test_a_signature_of_another_organisation(ca, spec: OutlineSpec) -> None:
    company = make_signer(ca, cn="Phạm Quốc Việt", o="Công ty TNHH Đo lường Sài Gòn")
    result = parse_bytes(sign(REPORT.read_bytes(), company, ca), "bc.pdf", spec, trust=(ca.pem,))
    assert result.signatures[0].agency_id is None and "signature_other_org" in _codes(result)
    assert result.agency.id == "soxd"  # the text still says who wrote it; a person decides


def test_cli_parse_json_gives_the_signature_facts(signed: bytes, ca, tmp_path: Path) -> None:
    trust = tmp_path / "tin-cay"
    trust.mkdir()
    (trust / "ca.pem").write_bytes(ca.pem)
    pdf = tmp_path / "bc-ky-so.pdf"
    pdf.write_bytes(signed)
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "baocao"), "parse", str(pdf), "--json"], capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BAOCAO_DATA_DIR": str(tmp_path / "data"),
             "BAOCAO_CONFIG_DIR": str(ROOT / "config"), "BAOCAO_TRUST_DIR": str(trust)},
    )
    assert proc.returncode == 0, proc.stderr
    (obj,) = json.loads(proc.stdout)
    (sig,) = obj["signatures"]
    assert sig["signer_o"] == SXD and sig["trusted"] is True and sig["ok"] and sig["signing_time"]
    assert obj["agency"]["id"] == "soxd"
