"""One warm LibreOffice per test process (parsers/lo_server.py's unoserver), instead of one
LibreOffice start per conversion (~2 s idle, 5–10 s on a busy machine, each).

Two uses:
- `saved_as(path, target)`: a test's *input* made by LibreOffice (a fixture report printed to
  PDF, saved as .odt/.doc/.xls/.ods): the warm server converts it; one-shot `soffice
  --convert-to` with a profile of its own when the server cannot run or does not answer.
- the `warm_lo` fixture (tests/conftest.py): the tests that ask for it parse their legacy Writer
  files (.doc, .odt, .rtf, web pages saved as .doc/.xls) through the warm server, the path the
  intake takes for its batches (parsers/lo_server.py); spreadsheets stay one-shot, the warm
  server here fails to open them (a product issue, not hidden by these tests);
  the one-shot path keeps its own tests (tests/parsers/test_lo_server.py, the converters given
  an explicit binary in tests/parsers/test_formats.py).

The server starts on first use, never registers as the process's own (`lo_server.current()`
stays what the code under test sets) and stops when the process exits. Its address names no
owner (pid 0), so a `warm_libreoffice()` block of the code under test never mistakes it for its
own server.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from parsers import lo_server
from parsers.legacy import find_soffice

# What the warm server opens (Writer); spreadsheets go one-shot (see `saved_as`).
WRITER_SUFFIXES = frozenset({".docx", ".doc", ".odt", ".rtf", ".html", ".htm"})
_server: lo_server.WarmLibreOffice | None = None
_unavailable = False


def address() -> lo_server.ServerAddress | None:
    """This process's test-side warm server (started, or restarted, here); None when it cannot run."""
    global _server, _unavailable
    if _unavailable:
        return None
    previous = lo_server.current()
    try:
        if _server is None:
            soffice = find_soffice()
            if not soffice or not shutil.which(soffice) or lo_server.unoserver_available():
                _unavailable = True
                return None
            _server = lo_server.WarmLibreOffice(shutil.which(soffice) or soffice)
            atexit.register(stop)
        _server.ensure(wait=True)  # starts it, or a fresh one if it died
    finally:
        lo_server.use_server(previous)  # WarmLibreOffice.start makes itself the process's server
    if not _server.alive() or _server.address is None:
        return None
    return dataclasses.replace(_server.address, owner=0)


def stop() -> None:
    """Stop the server (at exit; a no-op when none was started)."""
    global _server
    if _server is not None:
        previous = lo_server.current()
        _server.stop()
        lo_server.use_server(previous)
        _server = None


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """LibreOfficeConverter (no explicit binary) converts through the warm server in this block."""
    previous = lo_server.current()
    lo_server.use_server(address() or previous)
    try:
        yield
    finally:
        lo_server.use_server(previous)


def saved_as(path: Path, target: str, *, timeout: float = 900) -> bytes:
    """`path` saved by LibreOffice as `target` (an extension: pdf, odt, doc, xls, ods …)."""
    with tempfile.TemporaryDirectory(prefix="lo_variant_") as tmp:
        out = Path(tmp) / f"{path.stem}.{target}"
        # Writer documents only: the warm server here fails to open spreadsheets ("Could not
        # load document … using the default filter" for .xlsx/.xls/.ods), one-shot opens them.
        warm = address() if path.suffix.lower() in WRITER_SUFFIXES else None
        if warm is not None:
            with contextlib.suppress(lo_server.ServerGone):  # not answering: one-shot below
                lo_server.convert_file(warm, path, out, target, None, timeout)
            if out.exists():
                return out.read_bytes()
        # A profile of its own: two LibreOffice processes sharing one (parallel test workers,
        # another checkout's run) hand the job to each other and lose outputs.
        done = Path(tmp) / "out"
        done.mkdir()
        subprocess.run(
            ["soffice", f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless",
             "--convert-to", target, "--outdir", str(done), str(path)],
            check=True, capture_output=True, timeout=timeout,
        )
        produced = sorted(done.glob(f"*.{target}"))
        if not produced:
            raise RuntimeError(f"LibreOffice produced no .{target} for {path.name}")
        return produced[0].read_bytes()
