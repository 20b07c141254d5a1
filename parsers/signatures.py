"""Digital signatures of a PDF (ký số), read and checked with pyHanko.

For every signature: the signer certificate's subject (O, OU, CN: the agency and the person),
the signing time, whether the signed bytes are intact and the signature valid, whether the
document was changed after signing (pyHanko's difference analysis of later revisions),
whether the certificate was within its validity at signing time, and — only when trust roots
are given (the Vietnamese government CA certificates of `BAOCAO_TRUST_DIR`) — whether it
chains to one of them. Without roots nothing is trusted and the facts say so.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
UNVERIFIED = "chữ ký hợp lệ về mặt kỹ thuật, chưa xác minh được nhà cung cấp"


@dataclass
class SignatureFacts:
    """What one signature says and how far it holds."""

    field: str
    signer_cn: str | None = None
    signer_o: str | None = None
    signer_ou: str | None = None
    issuer: str | None = None
    signing_time: dt.datetime | None = None  # as the signer reported it, Asia/Ho_Chi_Minh
    intact: bool = False  # the signed bytes are unchanged
    valid: bool = False  # the signature verifies with the certificate's key
    modified_after: bool = False  # later revisions change more than signatures/form data
    coverage: str = ""
    expired: bool = False  # the certificate was not valid at the signing time
    trusted: bool | None = None  # None: no trust store configured
    agency_id: str | None = None  # the recipient whose name the signer organisation matches

    @property
    def ok(self) -> bool:
        """Intact, valid, not modified afterwards, certificate in date."""
        return self.intact and self.valid and not self.modified_after and not self.expired

    @property
    def verdict(self) -> str:
        """The Vietnamese judgement of this signature."""
        if not (self.intact and self.valid):
            return "chữ ký không hợp lệ (nội dung đã ký bị thay đổi hoặc chữ ký hỏng)"
        if self.modified_after:
            return "văn bản bị sửa sau khi ký"
        if self.expired:
            return "chứng thư số đã hết hạn (hoặc chưa có hiệu lực) khi ký"
        if self.trusted is None:
            return UNVERIFIED
        return "chữ ký hợp lệ, chứng thư do nhà cung cấp tin cậy cấp" if self.trusted else (
            "chữ ký hợp lệ về mặt kỹ thuật, nhưng chứng thư không thuộc nhà cung cấp tin cậy"
        )

    @property
    def summary(self) -> str:
        """"đã ký số bởi … lúc …" with the verdict."""
        who = self.signer_o or self.signer_cn or "không rõ"
        if self.signer_cn and self.signer_o:
            who = f"{self.signer_cn} ({self.signer_o})"
        when = self.signing_time.strftime("%H:%M ngày %d/%m/%Y") if self.signing_time else "không rõ thời điểm"
        return f"Đã ký số bởi {who} lúc {when}: {self.verdict}."

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "signer_cn": self.signer_cn,
            "signer_o": self.signer_o,
            "signer_ou": self.signer_ou,
            "issuer": self.issuer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "intact": self.intact,
            "valid": self.valid,
            "modified_after": self.modified_after,
            "coverage": self.coverage,
            "expired": self.expired,
            "trusted": self.trusted,
            "agency_id": self.agency_id,
            "ok": self.ok,
            "summary": self.summary,
        }


def has_signatures(data: bytes) -> bool:
    """A cheap look for a signature dictionary before pyHanko parses the file."""
    return b"/ByteRange" in data and (b"/Sig" in data or b"/DocTimeStamp" in data)


def read_signatures(data: bytes, trust_roots: list[bytes] | None = None) -> list[SignatureFacts]:
    """Every signature of the PDF, in signing order (a damaged one: its facts say invalid)."""
    if not has_signatures(data):
        return []
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, TypeError, OSError) as err:
        log.info("signatures unreadable: %s", err)
        return []
    return [_facts(sig, trust_roots) for sig in embedded]


def _facts(sig: Any, trust_roots: list[bytes] | None) -> SignatureFacts:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    facts = SignatureFacts(field=sig.field_name or "")
    cert = sig.signer_cert
    if cert is not None:
        subject = cert.subject.native
        facts.signer_cn = _nfc(subject.get("common_name"))
        facts.signer_o = _nfc(subject.get("organization_name"))
        facts.signer_ou = _nfc(subject.get("organizational_unit_name"))
        facts.issuer = _nfc(cert.issuer.native.get("common_name") or cert.issuer.native.get("organization_name"))
    roots = [_certificate(r) for r in trust_roots or []]
    context = ValidationContext(trust_roots=[r for r in roots if r is not None], allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as err:  # noqa: BLE001 - pyHanko raises many kinds on a damaged signature: invalid
        log.info("signature %s failed to validate: %s", facts.field, err)
        return facts
    facts.intact, facts.valid = bool(status.intact), bool(status.valid)
    facts.coverage = status.coverage.name if status.coverage is not None else ""
    facts.modified_after = _modified(status)
    reported = status.signer_reported_dt
    if reported is not None:
        facts.signing_time = reported.astimezone(VN)
    if cert is not None and reported is not None:
        validity = cert["tbs_certificate"]["validity"]
        facts.expired = not (validity["not_before"].native <= reported <= validity["not_after"].native)
    facts.trusted = bool(status.trusted) and not facts.expired if trust_roots else None
    return facts


def _modified(status: Any) -> bool:
    """Changes after signing beyond adding signatures, timestamps or form data."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False
    level = status.modification_level
    return level is None or level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


def _certificate(data: bytes) -> Any:
    """A trust root from PEM or DER bytes (None when it is not a certificate)."""
    from asn1crypto import pem, x509

    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return x509.Certificate.load(data)
    except (ValueError, TypeError) as err:
        log.warning("not a certificate in the trust store: %s", err)
        return None


def _nfc(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):  # several OU values
        value = ", ".join(str(v) for v in value)
    return unicodedata.normalize("NFC", str(value))


def apply_signatures(result: Any, facts: list[SignatureFacts], agencies: Any) -> None:
    """Signatures into a parse result: each names its recipient when its organisation is one;
    a good signature of a recipient is strong attribution evidence; an invalid, modified,
    expired or unverified one, or one naming another organisation, is a problem."""
    from parsers.identity import match_agency
    from parsers.interpret import confidence
    from parsers.model import Agency, Problem, ProblemCode

    result.signatures = facts
    for f in facts:
        named = next((a for a in (match_agency(n, agencies) for n in (f.signer_o, f.signer_ou) if n) if a), None)
        f.agency_id = named.id if named else None
        where = f"chữ ký số «{f.field}»"
        for code, message in _problems(f, result.agency.id):
            result.problems.append(Problem(code, message, where))
        # Anyone can make a certificate naming any agency: only a trusted chain makes it
        # certain; with no trust store configured it is good evidence, not proof.
        if f.ok and named is not None and f.trusted is not False and result.agency.id in (None, named.id):
            score = 1.0 if f.trusted else max(result.agency.score, 0.85)
            result.agency = Agency(named.id, named.name, score)
            result.problems = [p for p in result.problems if p.code != ProblemCode.AGENCY_UNKNOWN]
            result.evidence.append(f"ký số bởi {f.signer_o or f.signer_ou}")
    result.confidence = confidence(result)


def _problems(f: SignatureFacts, text_agency: str | None) -> list[tuple[str, str]]:
    who = f.signer_o or f.signer_ou or f.signer_cn or "không rõ"
    if not (f.intact and f.valid):
        return [("signature_invalid", f"Chữ ký số của «{who}» không hợp lệ: nội dung đã ký bị thay đổi hoặc chữ ký hỏng.")]
    out = []
    if f.modified_after:
        out.append(("signature_modified", f"Văn bản bị sửa sau khi «{who}» ký số: cần đối chiếu với bản đã ký."))
    if f.expired:
        out.append(("signature_expired", f"Chứng thư số của «{who}» đã hết hạn (hoặc chưa có hiệu lực) khi ký."))
    if f.trusted is None:
        out.append(("signature_untrusted", f"Chữ ký số của «{who}»: {UNVERIFIED} (chưa cấu hình BAOCAO_TRUST_DIR)."))
    elif not f.trusted:
        out.append(("signature_untrusted", f"Chứng thư số của «{who}» không do nhà cung cấp tin cậy cấp."))
    if f.agency_id is None:
        out.append(("signature_other_org", f"Chữ ký số của «{who}», không phải đơn vị nào trong danh sách nhận công văn."))
    elif text_agency and text_agency != f.agency_id:
        out.append(("signature_other_org", f"Chữ ký số của «{who}» khác đơn vị ghi trên văn bản."))
    return out
