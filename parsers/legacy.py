"""Legacy and OpenDocument files (.doc .xls .odt .ods .rtf) converted to OOXML by LibreOffice.

The parsers' one external tool. Each conversion runs `soffice --headless --convert-to` in its
own temp dir with its own profile (`-env:UserInstallation=…`: parallel conversions sharing a
profile silently lose outputs), a timeout, and its own process group so a hung LibreOffice is
killed with all its children. Inside `parsers.lo_server.warm_libreoffice()` (a batch) the
conversions go to one warm LibreOffice instead, with the same timeout. `Converter` is the small interface the API depends on; tests
run `LibreOfficeConverter` for real.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import xmlrpc.client
from pathlib import Path
from typing import Protocol

from parsers import lo_server
from parsers.errors import ConversionFailed
from parsers.lo_server import find_soffice
from parsers.safety import tool_preexec

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui"
# What each legacy format becomes, and the LibreOffice filter that writes it.
TARGETS = {
    "doc": ("docx", "docx:MS Word 2007 XML"),
    "rtf": ("docx", "docx:MS Word 2007 XML"),
    "html": ("docx", "docx:MS Word 2007 XML"),
    "wordml": ("docx", "docx:MS Word 2007 XML"),
    # Read as a Word document: Calc's HTML import reads "1.200" as 1.2 whatever the locale.
    "html_excel": ("docx", "docx:MS Word 2007 XML"),
    "xmlss": ("xlsx", "xlsx:Calc MS Excel 2007 XML"),
    "odt": ("docx", "docx:MS Word 2007 XML"),
    "xls": ("xlsx", "xlsx:Calc MS Excel 2007 XML"),
    "ods": ("xlsx", "xlsx:Calc MS Excel 2007 XML"),
}


# File name extensions LibreOffice expects for formats we name otherwise.
_EXTENSIONS = {"wordml": "xml", "html_excel": "html", "xmlss": "xml"}


class Converter(Protocol):
    """Turns a file's bytes from one format into another (`convert(data, "doc", "docx")`)."""

    def convert(self, data: bytes, source: str, target: str) -> bytes: ...


class LibreOfficeConverter:
    """LibreOffice headless, one profile and one temp dir per conversion, killed on timeout."""

    def __init__(self, binary: str | None = None, timeout: float = 120.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def convert(self, data: bytes, source: str, target: str) -> bytes:
        """Convert `data` (format `source`, e.g. "doc") to `target` ("docx", "xlsx", "pdf")."""
        binary = self.binary or find_soffice()
        if not binary or not shutil.which(binary):
            raise ConversionFailed(
                f"Không chuyển đổi được tệp .{source}: máy chủ chưa cài LibreOffice"
                f" (cài bằng: {INSTALL_HINT}). Hoặc đề nghị đơn vị gửi bản .docx/.xlsx/.pdf."
            )
        with tempfile.TemporaryDirectory(prefix="baocao_lo_") as tmp:
            work = Path(tmp)
            src = work / f"input.{_EXTENSIONS.get(source, source)}"
            src.write_bytes(data)
            out_dir = work / "out"
            out_dir.mkdir()
            if self.binary is None and (warm := lo_server.current()) is not None and self._warm(warm, src, out_dir, target, source):
                return (out_dir / f"input.{target}").read_bytes()
            self._run(binary, work, src, out_dir, target, source)
            produced = sorted(out_dir.glob(f"*.{target}"))
            if not produced:  # a first start can lose its output while the profile is created
                self._run(binary, work, src, out_dir, target, source)
                produced = sorted(out_dir.glob(f"*.{target}"))
            if not produced:
                raise _unconvertible(source, target)
            return produced[0].read_bytes()

    def _warm(self, warm: lo_server.ServerAddress, src: Path, out_dir: Path, target: str, source: str) -> bool:
        """Converted by the run's warm LibreOffice (parsers/lo_server.py)? False: convert one-shot."""
        if target != "docx":
            # Spreadsheets one-shot: LibreOffice 7.4 under unoserver does not load them (Calc's
            # import returns nothing, or soffice aborts in its idle timer and takes the server's
            # later files with it), while `soffice --convert-to` converts them fine.
            return False
        spec = TARGETS.get(source, (target, target))
        filtername = spec[1].split(":", 1)[1] if spec[0] == target and ":" in spec[1] else None
        out = out_dir / f"input.{target}"
        try:
            lo_server.convert_file(warm, src, out, target, filtername, self.timeout)
        except lo_server.ServerGone as err:
            log.info("warm LibreOffice not answering (%s); converting .%s one-shot", err, source)
            return False
        except TimeoutError as err:
            raise _timed_out(source, self.timeout) from err
        except xmlrpc.client.Fault as err:
            # The server could not (a damaged file, or its soffice died on it): the one-shot
            # conversion decides, so a file is never refused for the warm server's sake.
            log.info("warm LibreOffice could not convert .%s (%s); converting one-shot", source, str(err)[-200:])
            return False
        return out.exists()  # no output: the one-shot conversion decides

    def _run(self, binary: str, work: Path, src: Path, out_dir: Path, target: str, source: str) -> None:
        spec = TARGETS.get(source, (target, target))
        fmt = spec[1] if spec[0] == target else target
        cmd = [
            binary,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck",
            "--convert-to", fmt, "--outdir", str(out_dir), str(src),
        ]
        env = dict(os.environ, HOME=str(work), SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=tool_preexec(),  # noqa: PLW1509 - set only under a parse's memory cap (single-threaded child)
        )
        try:
            proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired as err:
            _kill_group(proc)
            raise _timed_out(src.suffix[1:], self.timeout) from err
        finally:
            _kill_group(proc)  # stray children (oosplash/soffice.bin) never outlive a conversion


def _unconvertible(source: str, target: str) -> ConversionFailed:
    return ConversionFailed(
        f"LibreOffice không chuyển được tệp .{source} sang .{target} (tệp hỏng hoặc không đúng định dạng);"
        " đề nghị đơn vị gửi lại bản .docx/.xlsx/.pdf."
    )


def _timed_out(source: str, timeout: float) -> ConversionFailed:
    return ConversionFailed(
        f"LibreOffice không chuyển xong tệp .{source} sau {timeout:.0f} giây (đã dừng); đề nghị đơn vị gửi bản .docx/.xlsx/.pdf."
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


_default: Converter | None = None


def default_converter() -> Converter:
    """The process-wide LibreOffice converter."""
    global _default
    if _default is None:
        _default = LibreOfficeConverter()
    return _default


def to_ooxml(data: bytes, source: str, converter: Converter | None = None) -> bytes:
    """A legacy file as .docx or .xlsx bytes (see `TARGETS`)."""
    target = TARGETS[source][0]
    return (converter or default_converter()).convert(data, source, target)
