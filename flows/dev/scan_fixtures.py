"""Scanned copies of our own reports, for the OCR tests and the accuracy bench.

A fixture report (.docx) is printed to PDF by LibreOffice, each page rendered by pdfium at the
condition's resolution, then "scanned": noise, a slight skew, a red round stamp over the
signature, a grey paper — and saved as an image-only PDF (what a copier's scan-to-mail sends)
or a TIFF. Deterministic (seeded), generated at test time, nothing large committed.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_FONT = "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"


@dataclass(frozen=True)
class Condition:
    """How a page is degraded."""

    name: str
    dpi: int = 300
    noise: float = 0.0  # standard deviation of the grey noise (0–255), plus salt and pepper
    skew: float = 0.0  # degrees
    stamp: bool = False
    grey: int = 255  # the paper's grey level
    jpeg: int = 0  # JPEG quality of the saved scan (0: lossless)


CONDITIONS = (
    Condition("sạch 300 dpi"),
    Condition("150 dpi", dpi=150),
    Condition("nhiễu", noise=28),
    Condition("nghiêng 2,5°", skew=2.5),
    Condition("dấu đỏ đè chữ ký", stamp=True),
    Condition("nền xám", grey=205),
    Condition("tất cả, 200 dpi", dpi=200, noise=20, skew=-1.5, stamp=True, grey=215, jpeg=70),
)


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Each page of a (text) PDF as an RGB image at `dpi`."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def degrade(page: Image.Image, cond: Condition, *, seed: int = 0, stamp_at: tuple[float, float] | None = None) -> Image.Image:
    """One page scanned under `cond` (stamp centred at `stamp_at`, fractions of the page)."""
    rng = np.random.default_rng(seed)
    img = page.convert("RGB")
    if cond.stamp and stamp_at is not None:
        img = _stamp(img, stamp_at, cond.dpi)
    if cond.grey < 255:
        arr = np.asarray(img, dtype=np.float32)
        paper = cond.grey + rng.normal(0, 4, arr.shape[:2])[..., None]  # uneven paper
        img = Image.fromarray(np.clip(arr * paper / 255, 0, 255).astype(np.uint8))
    if cond.skew:
        img = img.rotate(-cond.skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(cond.grey,) * 3)
    if cond.noise:
        arr = np.asarray(img, dtype=np.float32)
        arr = arr + rng.normal(0, cond.noise, arr.shape[:2])[..., None]
        specks = rng.random(arr.shape[:2])
        arr[specks < 0.002] = 0
        arr[specks > 0.998] = 255
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.4))
    return img


def _stamp(img: Image.Image, at: tuple[float, float], dpi: int) -> Image.Image:
    """A red round seal (two rings, a star, the agency's words) over the signature."""
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    r = int(dpi * 0.75)  # a 38 mm seal
    cx, cy = int(at[0] * img.width), int(at[1] * img.height)
    red = (205, 30, 40, 200)
    for radius, width in ((r, max(3, dpi // 40)), (int(r * 0.72), max(2, dpi // 60))):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red, width=width)
    star = [(cx + r * 0.3 * math.cos(math.pi / 2 + k * 4 * math.pi / 5), cy - r * 0.3 * math.sin(math.pi / 2 + k * 4 * math.pi / 5)) for k in range(5)]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(_FONT, max(10, dpi // 9))
    for k, ch in enumerate("HỘI CỰU CHIẾN BINH * QUẢNG NGÃI *"):
        angle = math.pi + k * 2 * math.pi / 33
        x, y = cx + r * 0.86 * math.cos(angle), cy + r * 0.86 * math.sin(angle)
        draw.text((x, y), ch, fill=red, font=font, anchor="mm")
    # The signature: a blue scribble under the seal.
    pts = [(cx - r + k * r / 12, cy + (k % 3 - 1) * r / 6) for k in range(24)]
    draw.line(pts, fill=(20, 40, 160, 255), width=max(2, dpi // 80))
    return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")


_TITLE_WORDS = {"TỊCH", "ĐỐC", "TRƯỞNG", "THƯỜNG", "TM.", "KT.", "TUQ.", "Q.", "PHÓ", "THỦ"}


def signature_spot(pdf: bytes) -> tuple[int, tuple[float, float]]:
    """(page index, centre as fractions) of the signature: just under the signer's title
    (the lowest title word — CHỦ TỊCH, GIÁM ĐỐC, TM. … — of the last page that has one)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for index in range(len(doc.pages) - 1, -1, -1):
            page = doc.pages[index]
            titles = [w for w in page.extract_words() if w["text"] in _TITLE_WORDS]
            if titles:
                low = max(titles, key=lambda w: w["top"])
                return index, ((low["x0"] + 10) / page.width, (low["bottom"] + 22) / page.height)
        last = len(doc.pages) - 1
    return last, (0.7, 0.8)


def scan_pdf(text_pdf: bytes, cond: Condition, *, seed: int = 0) -> bytes:
    """An image-only PDF: `text_pdf` printed and scanned under `cond`."""
    pages = render_pages(text_pdf, cond.dpi)
    spot_page, spot = signature_spot(text_pdf) if cond.stamp else (-1, None)
    images = [
        degrade(p, cond, seed=seed + n, stamp_at=spot if n == spot_page else None) for n, p in enumerate(pages)
    ]
    out = io.BytesIO()
    if cond.jpeg:
        # A copier's scan: colour JPEG pages.
        images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=cond.dpi, quality=cond.jpeg)
    else:
        greys = [i if cond.stamp else i.convert("L") for i in images]
        greys[0].save(out, "PDF", save_all=True, append_images=greys[1:], resolution=cond.dpi)
    return out.getvalue()


def scan_tiff(text_pdf: bytes, cond: Condition, *, seed: int = 0) -> bytes:
    """A multi-page TIFF scan (Group 4 when the scan is black and white)."""
    images = [degrade(p, cond, seed=seed + n).convert("L") for n, p in enumerate(render_pages(text_pdf, cond.dpi))]
    out = io.BytesIO()
    images[0].save(out, "TIFF", save_all=True, append_images=images[1:], dpi=(cond.dpi, cond.dpi), compression="tiff_lzw")
    return out.getvalue()


def random_seed(name: str) -> int:
    """A stable seed from a fixture's name."""
    return random.Random(name).randrange(1 << 30)
