"""Scans: page images of a PDF without a text layer (or an image file) read with Tesseract.

The pipeline, per document:
1. page images — a PDF's pages rendered with pdfium at a resolution that suits the scan (the
   embedded image's own dpi, kept within 200–300; lowered when a page would pass the pixel
   cap); an image file's frames as they are (TIFF may hold several pages);
2. grey, deskewed (projection profile, ±6°), the table grid found from long dark runs;
3. Tesseract (`vie`) in its own process group with a time limit for the whole document,
   writing a text-layer PDF and a TSV with each word's box and confidence;
4. the text-layer PDF read by the SAME reader as a text PDF (`parsers.pdf_reader.read_pdf`)
   with the detected grid passed as ruling lines, so outline and tables are found as usual.

`apply_confidence` then gives each figure and section its OCR confidence and adds problems
below the thresholds. Nothing here decides what a person must confirm; the caller does.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from parsers.errors import ParserError, ScannedImage, ScannedPdf, TooLarge
from parsers.safety import tool_preexec

INSTALL_HINT = "apt-get install -y tesseract-ocr tesseract-ocr-vie"
# Figures below this OCR confidence (0..1) are a problem; sections below SECTION_THRESHOLD.
VALUE_THRESHOLD = 0.80
SECTION_THRESHOLD = 0.70


class OcrFailed(ParserError):
    """Tesseract is missing, failed, or ran out of time."""

    code = "ocr_failed"


@dataclass(frozen=True)
class OcrLimits:
    """Bounds of one document's OCR."""

    max_pages: int = 30
    max_pixels: int = 36_000_000  # per page (A4 at 300 dpi is 8.7 M)
    timeout: float = 600.0  # seconds for the whole document
    min_dpi: int = 200
    max_dpi: int = 300


DEFAULT_OCR_LIMITS = OcrLimits()


@dataclass
class PageImage:
    """One page to read: a greyscale PIL image, its resolution, what was done to it."""

    image: Any
    dpi: int
    skew: float = 0.0
    ruling: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OcrWord:
    """A word Tesseract read: page number, text, confidence 0..1, box in points."""

    page: int
    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass
class OcrOutput:
    """What Tesseract wrote for a document."""

    pdf: bytes
    words: list[OcrWord]
    seconds: float


@dataclass
class ScanInfo:
    """How a scan was read (goes into `ParseResult.ocr`)."""

    pages: int
    pages_total: int
    dpi: list[int]
    skew: list[float]
    mean_confidence: float
    seconds: float
    engine: str = "tesseract"
    language: str = "vie"

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "language": self.language,
            "pages": self.pages,
            "pages_total": self.pages_total,
            "dpi": list(self.dpi),
            "skew": [round(s, 2) for s in self.skew],
            "mean_confidence": round(self.mean_confidence, 3),
            "seconds": round(self.seconds, 2),
        }


class Ocr(Protocol):
    """Reads prepared page images into a text-layer PDF and words, within its limits."""

    limits: OcrLimits

    def read(self, pages: list[PageImage]) -> OcrOutput: ...


# --- page images -----------------------------------------------------------------------------


def pdf_pages(data: bytes, limits: OcrLimits = DEFAULT_OCR_LIMITS) -> tuple[list[PageImage], int]:
    """The first `max_pages` pages of a PDF rendered in grey, and the page count."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise ScannedPdf("Tệp PDF bản quét bị hỏng, không mở được để nhận dạng chữ; đề nghị đơn vị gửi lại.") from err
    try:
        total = len(pdf)
        pages = []
        for index in range(min(total, limits.max_pages)):
            page = pdf[index]
            width, height = page.get_size()  # points
            dpi = _pdf_dpi(page, width, limits)
            dpi = _capped(dpi, width / 72, height / 72, limits)
            bitmap = page.render(scale=dpi / 72)
            pages.append(PageImage(_grey(bitmap.to_pil()), dpi))
            page.close()
        return pages, total
    finally:
        pdf.close()


def _pdf_dpi(page: Any, width_pt: float, limits: OcrLimits) -> int:
    """The resolution of the page's largest image (the scan), kept within the limits."""
    import pypdfium2.raw as pdfium_c

    best = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        with contextlib.suppress(Exception):  # a damaged image object: fall back to the default
            pixels_w, _ = obj.get_px_size()
            left, _, right, _ = obj.get_bounds()
            if right - left > width_pt / 2:
                best = max(best, pixels_w / ((right - left) / 72))
    if not best:
        return limits.max_dpi
    return int(min(max(best, limits.min_dpi), limits.max_dpi))


def _capped(dpi: int, width_in: float, height_in: float, limits: OcrLimits) -> int:
    """The dpi lowered until the page fits the pixel cap."""
    while dpi > 72 and (width_in * dpi) * (height_in * dpi) > limits.max_pixels:
        dpi -= 25
    return dpi


def image_pages(data: bytes, limits: OcrLimits = DEFAULT_OCR_LIMITS) -> tuple[list[PageImage], int]:
    """An image file's frames (JPEG/PNG/TIFF/GIF/BMP) in grey, and the frame count."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            total = getattr(img, "n_frames", 1)
            pages: list[PageImage] = []
            for frame in ImageSequence.Iterator(img):
                if len(pages) >= limits.max_pages:
                    break
                if frame.width * frame.height > limits.max_pixels:
                    raise TooLarge(
                        f"Ảnh quá lớn ({frame.width}×{frame.height} điểm ảnh): đề nghị đơn vị quét lại ở 200–300 dpi."
                    )
                dpi = _image_dpi(frame)
                grey = _grey(frame)
                if dpi < limits.min_dpi:  # a phone photo or a low-resolution scan: enlarge for Tesseract
                    factor = limits.min_dpi / dpi
                    grey = grey.resize((int(grey.width * factor), int(grey.height * factor)), Image.Resampling.LANCZOS)
                    dpi = limits.min_dpi
                pages.append(PageImage(grey, dpi))
            return pages, total
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as err:
        raise ScannedImage(
            "Tệp ảnh (bản quét/ảnh chụp) bị hỏng hoặc không đúng định dạng, không nhận dạng được chữ: đề nghị"
            " đơn vị quét lại, hoặc gửi bản Word/Excel."
        ) from err


def _grey(image: Any) -> Any:
    """One grey channel: the red one of a colour page, where a red seal over the signature
    turns almost white while black and blue ink stay dark."""
    if image.mode in ("RGB", "RGBA", "CMYK", "P", "YCbCr"):
        return image.convert("RGB").getchannel("R")
    return image.convert("L")


def _image_dpi(frame: Any) -> int:
    """The image's own dpi, else what an A4 page of its width would have."""
    dpi = frame.info.get("dpi")
    if dpi and dpi[0] and float(dpi[0]) > 50:
        return int(float(dpi[0]))
    return max(72, int(min(frame.width, frame.height) / 8.27))


# --- preparing a page ------------------------------------------------------------------------


def prepare(page: PageImage) -> PageImage:
    """Deskewed, with the table grid found (in points of the page Tesseract will write)."""
    from PIL import Image

    angle = skew_angle(page.image)
    image = page.image
    if abs(angle) >= 0.1:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    ink, threshold = _ink(image, with_threshold=True)
    ruling = ruling_lines(ink, page.dpi)
    return PageImage(_erased(_white_paper(image, threshold), ruling, page.dpi), page.dpi, angle, ruling)


def _white_paper(image: Any, threshold: int) -> Any:
    """A grey or uneven paper made white (halfway between ink and paper): it costs Tesseract
    time and accuracy; the ink's own grey levels stay."""
    import numpy as np

    pixels = np.asarray(image, dtype=np.uint8)
    paper = pixels[pixels > threshold]
    # A noisy scan keeps its grey levels: whitening its paper would leave hard specks that pull
    # Tesseract's own threshold up and eat letters.
    if not paper.size or float(paper.std()) > 10:
        return image
    # Halfway between the ink threshold and the paper: anti-aliased edges of letters stay.
    cut = (threshold + int(np.median(paper))) // 2
    return image.point(lambda v: 255 if v > cut else v)


def _erased(image: Any, ruling: list[dict[str, Any]], dpi: int) -> Any:
    """The page with its table rules painted over: Tesseract takes a ruled cell for a picture
    and drops a lone figure ("0", "1") inside it; the grid goes to the reader separately."""
    from PIL import ImageDraw

    if not ruling:
        return image
    out = image.copy()
    draw = ImageDraw.Draw(out)
    scale = dpi / 72
    pad = max(2, dpi // 100)
    for ln in ruling:
        box = (ln["x0"] * scale - pad, ln["top"] * scale - pad, ln["x1"] * scale + pad, ln["bottom"] * scale + pad)
        draw.rectangle(box, fill=255)
    return out


def _ink(image: Any, *, with_threshold: bool = False) -> Any:
    """A boolean array: True where the page is dark (Otsu's threshold, so a grey paper is paper);
    with the threshold too when asked."""
    import numpy as np

    pixels = np.asarray(image, dtype=np.uint8)
    hist = np.bincount(pixels.ravel(), minlength=256).astype(float)
    total = pixels.size
    weights = np.arange(256)
    cum = np.cumsum(hist)
    cum_mean = np.cumsum(hist * weights)
    mean = cum_mean[-1] / total
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean * cum - cum_mean) ** 2 / (cum * (total - cum))
    # One grey level on the whole page (a blank page, or a PDF whose page draws nothing): there
    # is no ink to tell from paper, so nothing is dark.
    threshold = -1 if np.isnan(between).all() else int(np.nanargmax(between))
    return (pixels <= threshold, threshold) if with_threshold else pixels <= threshold


def skew_angle(image: Any) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines level."""
    import numpy as np
    from PIL import Image

    small = image.copy()
    small.thumbnail((900, 1300))
    ink = Image.fromarray((_ink(small) * 255).astype(np.uint8))

    def score(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max(np.arange(-6.0, 6.01, 0.5), key=score)
    return float(max(np.arange(best - 0.5, best + 0.51, 0.1), key=score))


def ruling_lines(ink: Any, dpi: int) -> list[dict[str, Any]]:
    """Long straight dark runs (table rules) as pdfplumber line objects, in points."""
    scale = 72 / dpi
    thick = max(3, dpi * 2 // 72)  # a rule is at most 2 pt thick (a little more once rotated)
    lines = [_line(x0 * scale, y * scale, x1 * scale, y * scale) for y, x0, x1 in _runs(ink, dpi * 40 // 72, thick)]
    lines += [_line(x * scale, y0 * scale, x * scale, y1 * scale) for x, y0, y1 in _runs(ink.T, dpi * 16 // 72, thick)]
    return lines


def _line(x0: float, top: float, x1: float, bottom: float) -> dict[str, Any]:
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top}


def _runs(ink: Any, min_length: int, max_thickness: int) -> list[tuple[float, int, int]]:
    """Runs of ink along each row at least `min_length` long (gaps of 3 bridged, but nearly
    all ink: a row through a line of bold letters has a gap after every letter), merged across
    neighbouring rows into one (position, start, end) per rule no thicker than `max_thickness`."""
    import numpy as np

    found: list[tuple[int, int, int]] = []
    for y, row in enumerate(ink):
        if row.sum() < min_length:
            continue
        padded = np.concatenate(([False], row, [False]))
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        starts, ends = edges[::2], edges[1::2]
        keep_start, dark = starts[0], 0
        for k in range(len(starts)):
            dark += ends[k] - starts[k]
            if k + 1 < len(starts) and starts[k + 1] - ends[k] <= 3:
                continue
            if ends[k] - keep_start >= min_length and dark >= 0.9 * (ends[k] - keep_start):
                found.append((y, int(keep_start), int(ends[k])))
            if k + 1 < len(starts):
                keep_start, dark = starts[k + 1], 0
    merged: list[list[float]] = []  # [first, last, start, end]
    for y, start, end in found:
        for m in merged[::-1][:8]:
            if y - m[1] <= 2 and start < m[3] and end > m[2]:
                m[1], m[2], m[3] = y, min(m[2], start), max(m[3], end)
                break
        else:
            merged.append([y, y, start, end])
    return [((m[0] + m[1]) / 2, int(m[2]), int(m[3])) for m in merged if m[1] - m[0] <= max_thickness]


# --- Tesseract -------------------------------------------------------------------------------


def find_tesseract() -> str | None:
    """The Tesseract binary on PATH (or BAOCAO_TESSERACT), if any."""
    return os.environ.get("BAOCAO_TESSERACT") or shutil.which("tesseract")


class TesseractOcr:
    """The Tesseract CLI (`vie`), one process group per document, killed on timeout."""

    def __init__(self, binary: str | None = None, *, limits: OcrLimits = DEFAULT_OCR_LIMITS, language: str = "vie"):
        self.binary = binary
        self.limits = limits
        self.timeout = limits.timeout
        self.language = language

    def read(self, pages: list[PageImage]) -> OcrOutput:
        """A text-layer PDF and the words (with confidences) of the prepared pages."""
        binary = self.binary or find_tesseract()
        if not binary or not shutil.which(binary):
            raise OcrFailed(f"Máy chủ chưa cài Tesseract để đọc bản quét (cài bằng: {INSTALL_HINT}).")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="baocao_ocr_") as tmp:
            work = Path(tmp)
            names = []
            for n, page in enumerate(pages, start=1):
                name = work / f"page{n:03d}.png"
                page.image.save(name, dpi=(page.dpi, page.dpi))
                names.append(str(name))
            (work / "pages.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
            # Every page has its own dpi in its PNG; Tesseract reads it from there.
            cmd = [binary, str(work / "pages.txt"), str(work / "out"), "-l", self.language, "pdf", "tsv"]
            self._run(cmd, work)
            pdf = (work / "out.pdf").read_bytes()
            words = parse_tsv((work / "out.tsv").read_text(encoding="utf-8"), [p.dpi for p in pages])
        return OcrOutput(pdf, words, time.monotonic() - started)

    def _run(self, cmd: list[str], work: Path) -> None:
        env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one core per document: the machine is shared
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=tool_preexec(),  # noqa: PLW1509 - set only under a parse's memory cap (single-threaded child)
        )
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(
                f"Nhận dạng chữ bản quét chưa xong sau {self.timeout:.0f} giây (đã dừng): cán bộ cần mở tệp"
                " nhập tay, hoặc đề nghị đơn vị gửi bản Word/Excel."
            ) from exc
        finally:
            _kill_group(proc)
        if proc.returncode != 0 or not (work / "out.pdf").exists():
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise OcrFailed(f"Tesseract không đọc được bản quét ({'; '.join(detail) or proc.returncode}).")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def parse_tsv(text: str, dpis: list[int]) -> list[OcrWord]:
    """Tesseract's TSV → words (level 5) with boxes in points (each page at its own dpi)."""
    words = []
    for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        page = int(row["page_num"])
        scale = 72 / dpis[min(page, len(dpis)) - 1]
        left, top, width, height = (int(row[k]) for k in ("left", "top", "width", "height"))
        box = (left * scale, top * scale, (left + width) * scale, (top + height) * scale)
        text_ = unicodedata.normalize("NFC", row["text"].strip())
        words.append(OcrWord(page, text_, max(float(row["conf"]), 0.0) / 100, box))
    return words


# --- the document ----------------------------------------------------------------------------


@dataclass
class ScanReading:
    """A scan read: the Doc for the outline matcher, the words, how it went."""

    doc: Any
    words: list[OcrWord]
    info: ScanInfo


def read_scan(pages: list[PageImage], total: int, ocr: Ocr) -> ScanReading:
    """OCR prepared pages and read the text-layer PDF with the text-PDF reader."""
    from parsers.pdf_reader import read_pdf

    if not pages:
        raise ScannedPdf("Bản quét không có trang nào.")
    started = time.monotonic()
    prepared = [prepare(p) for p in pages]
    output = ocr.read(prepared)
    ruling = {n: p.ruling for n, p in enumerate(prepared, start=1) if p.ruling}
    try:
        doc = unglue_doc(read_pdf(output.pdf, ruling=ruling))
    except ScannedPdf as err:
        raise ScannedPdf(
            "Bản quét không nhận dạng được chữ nào (ảnh mờ, trống hoặc không phải văn bản): đề nghị đơn vị"
            " quét lại rõ hơn hoặc gửi bản Word/Excel."
        ) from err
    confs = [w.confidence for w in output.words if _is_word(w.text)]
    info = ScanInfo(
        pages=len(pages),
        pages_total=total,
        dpi=[p.dpi for p in prepared],
        skew=[p.skew for p in prepared],
        mean_confidence=statistics.fmean(confs) if confs else 0.0,
        seconds=time.monotonic() - started,
    )
    return ScanReading(doc, output.words, info)


def _is_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --- confidence of what was read -------------------------------------------------------------

_PAGE = re.compile(r"trang (\d+)")
_STRIP = re.compile(r"[^\w%,.\-/]")


def _key(text: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFC", text).casefold()).rstrip("%")


class WordIndex:
    """Words by page and by their normalised text, to find the confidence of a read text."""

    def __init__(self, words: list[OcrWord]) -> None:
        self.by_text: dict[str, list[OcrWord]] = {}
        for w in words:
            self.by_text.setdefault(_key(w.text), []).append(w)

    def lookup(self, raw: str, where: str = "") -> tuple[float | None, OcrWord | None]:
        """The lowest confidence among the words that make up `raw` (on the page `where`
        names, when it names one), and the weakest of those words."""
        page = _PAGE.search(where)
        weakest: OcrWord | None = None
        for token in _tokens(raw, words_only=False):
            matches = self.by_text.get(token, [])
            if page:
                matches = [w for w in matches if w.page == int(page.group(1))] or matches
            if not matches:
                continue
            worst = min(matches, key=lambda w: w.confidence)
            if weakest is None or worst.confidence < weakest.confidence:
                weakest = worst
        return (weakest.confidence if weakest else None), weakest

    def mean(self, text: str) -> float | None:
        """The mean confidence of the text's words (each word's best reading)."""
        found = [max(w.confidence for w in self.by_text[t]) for t in _tokens(text) if t in self.by_text]
        return statistics.fmean(found) if found else None


def _tokens(text: str, *, words_only: bool = True) -> Iterator[str]:
    for part in text.split():
        key = _key(part)
        if key and (_is_word(key) or not words_only):
            yield key


@dataclass
class ValueConfidence:
    """The OCR confidence of one figure, and the box of its weakest word (page, points)."""

    row_id: str
    role: str
    confidence: float
    page: int | None = None
    box: tuple[float, float, float, float] | None = None


def value_confidences(indicators: dict[str, Any], index: WordIndex) -> list[ValueConfidence]:
    """Each read figure's confidence (an unmatched figure: 0.5, a doubt)."""
    out = []
    for row_id, ind in indicators.items():
        for role, value in ind.values.items():
            if value.source not in ("read", "explicit_none") or not value.raw.strip():
                continue
            conf, word = index.lookup(value.raw, value.where or ind.where)
            out.append(
                ValueConfidence(row_id, role, 0.5 if conf is None else conf,
                                word.page if word else None, word.box if word else None)
            )
    return out


def apply_confidence(result: Any, reading: ScanReading) -> None:
    """Each read figure and section gets its OCR confidence; the weak ones and the scan itself
    become problems (an OCR'd submission always needs a person to confirm its figures)."""
    from parsers.interpret import confidence
    from parsers.model import Problem, ProblemCode

    result.ocr = reading.info
    index = WordIndex(reading.words)
    for vc in value_confidences(result.indicators, index):
        ind = result.indicators[vc.row_id]
        value = ind.values[vc.role]
        value.ocr_confidence = vc.confidence
        value.ocr_box = (vc.page, *vc.box) if vc.page is not None and vc.box else None
        value.confidence = min(value.confidence, vc.confidence)
        ind.confidence = min(ind.confidence, vc.confidence)
        if vc.confidence < VALUE_THRESHOLD:
            result.problems.append(Problem(
                ProblemCode.OCR_LOW_CONFIDENCE,
                f"Số «{value.raw}» ({ind.label or vc.row_id}, {_ROLE_WORDS.get(vc.role, vc.role)}) đọc từ bản quét"
                f" với độ tin cậy {round(vc.confidence * 100)}%: cần đối chiếu với ảnh bản quét.",
                value.where or ind.where,
            ))
    for part in (result.sections, result.closing):
        for sid, section in part.items():
            if section.empty or not section.text:
                continue
            conf = index.mean(section.text)
            if conf is None:
                continue
            section.ocr_confidence = conf
            section.confidence = min(section.confidence, conf)
            if conf < SECTION_THRESHOLD:
                result.problems.append(Problem(
                    ProblemCode.OCR_SECTION_LOW,
                    f"Mục «{section.heading or sid}» đọc từ bản quét với độ tin cậy {round(conf * 100)}%:"
                    " cần đối chiếu với ảnh bản quét.",
                    section.where,
                ))
    info = reading.info
    result.problems.append(Problem(
        ProblemCode.OCR_READ,
        f"Nội dung đọc từ bản quét ({info.pages} trang, độ tin cậy trung bình {round(info.mean_confidence * 100)}%)"
        " bằng nhận dạng chữ: cán bộ cần xác nhận số liệu trước khi dùng.",
        "",
    ))
    if info.pages_total > info.pages:
        result.problems.append(Problem(
            ProblemCode.OCR_PAGES_CAPPED,
            f"Bản quét có {info.pages_total} trang, chỉ nhận dạng {info.pages} trang đầu: phần sau cần nhập tay.",
            "",
        ))
    result.confidence = confidence(result)


_ROLE_WORDS = {"plan": "kế hoạch", "result": "kết quả", "rate": "tỷ lệ"}


# --- words Tesseract glued together -----------------------------------------------------------

_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|uya|oai|oay|uoi|uou|ieu|yeu|uay|oo|oa|oe|uy|ue|uo|ua|ia|ie|ye|ai|ao|au|ay|eo|eu|iu|oi|ui|ou|[aeiouy])"
    r"(?:ch|ng|nh|[cmnpt]|[iouy])?"
)


def _bases(word: str) -> str:
    """One accent-less lowercase letter per character (đ → d): 'Kếhoạch' → 'kehoach'."""
    out = []
    for ch in word:
        base = unicodedata.normalize("NFD", ch)[0].lower()
        out.append("d" if base == "đ" else base)
    return "".join(out)


def split_glued(word: str) -> str:
    """A Vietnamese word Tesseract read without its space ('Kếhoạch', 'quảđến') split back
    into syllables; anything else (a syllable, a code, a foreign word, a number) unchanged."""
    if len(word) < 4 or not word.isalpha() or not word[1:].islower():
        return word
    bases = _bases(word)
    if _SYLLABLE.fullmatch(bases):
        return word
    # Fewest syllables covering the word; every cut must leave a whole syllable on both sides.
    best: list[list[int] | None] = [[]] + [None] * len(bases)
    for end in range(1, len(bases) + 1):
        for start in range(max(0, end - 7), end):
            prev = best[start]
            if prev is not None and _SYLLABLE.fullmatch(bases[start:end]) and (
                best[end] is None or len(prev) + 1 < len(best[end])  # type: ignore[arg-type]
            ):
                best[end] = [*prev, end]
    cuts = best[len(bases)]
    if not cuts or len(cuts) != 2:  # only a pair: longer chains are names, codes, English
        return word
    return f"{word[: cuts[0]]} {word[cuts[0]:]}"


def unglue(text: str) -> str:
    """`split_glued` on every word of a text."""
    return re.sub(r"[^\W\d_]+", lambda m: split_glued(m.group(0)), text)


def unglue_doc(doc: Any) -> Any:
    """`unglue` on every paragraph and table cell of an OCR'd Doc (in place; returned)."""
    from parsers.document import Para, Table

    for block in doc.blocks:
        if isinstance(block, Para):
            block.text = unglue(block.text)
        elif isinstance(block, Table):
            block.rows = [[unglue(cell) for cell in row] for row in block.rows]
    return doc


def page_crop(data: bytes, page: int, box: tuple[float, float, float, float], skew: float = 0.0) -> bytes:
    """A PNG of the part of a scan's page around `box` (points, on the page as it was read:
    deskewed by `skew`), with some context around it: what a person compares a figure with."""
    from PIL import Image

    from parsers.detect import detect_format

    limits = OcrLimits(max_pages=page)
    pages, _ = pdf_pages(data, limits) if detect_format(data) == "pdf" else image_pages(data, limits)
    if not 1 <= page <= len(pages):
        raise ScannedPdf(f"Bản quét không có trang {page}.")
    shown = pages[page - 1]
    image = shown.image
    if abs(skew) >= 0.1:
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    scale = shown.dpi / 72
    x0, top, x1, bottom = (v * scale for v in box)
    margin_x, margin_y = shown.dpi * 1.2, shown.dpi * 0.35  # about 3 cm either side, 1 cm above and below
    area = (max(0, int(x0 - margin_x)), max(0, int(top - margin_y)),
            min(image.width, int(x1 + margin_x)), min(image.height, int(bottom + margin_y)))
    out = io.BytesIO()
    image.crop(area).save(out, "PNG", optimize=True)
    return out.getvalue()


def scan_pages(data: bytes) -> int | None:
    """The number of pages to OCR when the file is a scan (an image file, or a PDF whose text
    layer is (almost) empty), else None — decided cheaply, before any OCR: pdfium counts each
    page's characters (milliseconds a page), an image's frames are counted without decoding
    them. A damaged file is None too (the ordinary reader says what is wrong with it). Word
    files with a pasted scan and zips holding scans are read as they come (not queued)."""
    from parsers.detect import detect_format
    from parsers.pdf_reader import MIN_CHARS_PER_PAGE

    kind = detect_format(data)
    if kind == "image":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as img:
                return max(1, int(getattr(img, "n_frames", 1)))
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
            return None
    if kind != "pdf":
        return None
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        total = len(pdf)
        chars = pictures = 0
        for index in range(min(total, 40)):  # the pages parsers.pdf_reader reads at most
            page = pdf[index]
            text = page.get_textpage()
            chars += sum(1 for c in text.get_text_range() if not c.isspace())
            text.close()
            pictures += next(iter(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2)), None) is not None
            page.close()
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()
    read = min(total, 40)
    # No text and no picture: an empty PDF, not a scan (the reader says so at once).
    if total and pictures and (chars < MIN_CHARS_PER_PAGE * read / 4 or chars < MIN_CHARS_PER_PAGE):
        return total
    return None
