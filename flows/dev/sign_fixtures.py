"""Digitally signed PDFs for the tests and the demo: a test CA made here (cryptography), signer
certificates naming agencies with Vietnamese diacritics, signing with pyHanko; plus a copy
changed after signing (an incremental update that adds text to the page)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

UTC = dt.UTC


@dataclass
class Identity:
    """A key and its certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        """The certificate as PEM (what goes into BAOCAO_TRUST_DIR)."""
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, o: str | None = None, ou: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if o:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(parts)


def make_ca(cn: str = "CA thử nghiệm Ban Cơ yếu", o: str = "Ban Cơ yếu Chính phủ (thử nghiệm)") -> Identity:
    """A self-signed root CA valid from a year ago for ten years."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(UTC)
    name = _name(cn, o)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=365)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Identity(key, cert)


def make_signer(ca: Identity, *, cn: str, o: str, ou: str | None = None, expired: bool = False) -> Identity:
    """A signing certificate issued by `ca` (an expired one ended yesterday)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(UTC)
    start, end = (now - dt.timedelta(days=400), now - dt.timedelta(days=1)) if expired else (
        now - dt.timedelta(days=30), now + dt.timedelta(days=700))
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn, o, ou)).issuer_name(ca.cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return Identity(key, cert)


def sign(pdf: bytes, signer: Identity, ca: Identity, *, field: str = "ChuKy1") -> bytes:
    """`pdf` signed by `signer` (an incremental update: a second signature keeps the first)."""
    asn1_cert = asn1_x509.Certificate.load(signer.cert.public_bytes(serialization.Encoding.DER))
    asn1_ca = asn1_x509.Certificate.load(ca.cert.public_bytes(serialization.Encoding.DER))
    key_der = signer.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    simple = signers.SimpleSigner(
        signing_cert=asn1_cert, signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1_ca]),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field), signer=simple)
    return out.getvalue()


def modified_after_signing(signed: bytes, text: str = "Sua so lieu: 9999") -> bytes:
    """A signed PDF with text drawn on page 1 afterwards (an incremental update)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    font = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
    }))
    content = f"BT /FSua 14 Tf 72 60 Td ({text}) Tj ET".encode("latin-1")
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    writer.add_stream_to_page(0, stream, resources=generic.DictionaryObject({
        generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/FSua"): font}),
    }))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
