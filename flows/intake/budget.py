"""A time budget per file (BAOCAO_FILE_BUDGET_SECONDS, default 60 s): one file is parsed in a
forked child process that is killed when its time is up, so a spreadsheet that makes
LibreOffice or a parser spin costs one budget and the rest of the poll goes on.

The child gets the bytes by fork (no copy), sends the ParseResult back pickled through a
pipe and leaves with `os._exit` (nothing of the parent's database connections or files is
touched). Its address space is capped (BAOCAO_PARSE_MEMORY_MB above what it inherits): a
file that needs more becomes the typed problem `memory_budget` ("tệp quá lớn để đọc"). LibreOffice, started by the child in its own session, gets a slightly shorter
timeout of its own so it is stopped first and says so in its own words.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import resource
import selectors
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parsers.model import OutlineSpec, ParseError, ParseResult
from parsers.numbers import vn_number
from parsers.safety import remember_tool_limit

log = logging.getLogger(__name__)
BUDGET_CODE = "time_budget"
MEMORY_CODE = "memory_budget"


def budget_error(filename: str, seconds: float) -> ParseResult:
    """The typed problem of a file that used up its time."""
    return ParseResult(
        file=filename,
        error=ParseError(
            BUDGET_CODE,
            f"đọc tệp quá {vn_number(seconds)} giây nên đã dừng (BAOCAO_FILE_BUDGET_SECONDS); cán bộ cần mở tệp kiểm tra"
            " hoặc đề nghị đơn vị gửi lại tệp Word (.docx) hoặc Excel (.xlsx)",
        ),
    )


def memory_error(filename: str, megabytes: int | None) -> ParseResult:
    """The typed problem of a file whose reading needed more memory than allowed."""
    limit = f" (hơn {megabytes} MB, BAOCAO_PARSE_MEMORY_MB)" if megabytes else ""
    return ParseResult(
        file=filename,
        error=ParseError(
            MEMORY_CODE,
            f"tệp quá lớn để đọc: cần quá nhiều bộ nhớ{limit} nên đã dừng; cán bộ cần mở tệp kiểm tra"
            " hoặc đề nghị đơn vị gửi lại tệp nhỏ hơn (bỏ ảnh lớn, tách thành nhiều tệp)",
        ),
    )


@dataclass(frozen=True)
class Budgeted:
    """`parse(data, filename, spec)` run in a child process killed after `seconds`, its address
    space capped `memory_mb` above what it inherits (a plain picklable value, so the
    parse-ahead pool's workers can run it too)."""

    parse: Any
    seconds: float
    memory_mb: int | None = None

    def __call__(self, data: bytes, filename: str, spec: OutlineSpec) -> ParseResult:
        return run_in_child(self.parse, self.seconds, data, filename, spec, memory_mb=self.memory_mb)


def within_budget(parse: Any, seconds: float, memory_mb: int | None = None) -> Budgeted:
    """`parse` under the per-file time (and memory) budget."""
    return Budgeted(parse, seconds, memory_mb)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (RLIMIT_AS, soft limit) at its current size plus
    `megabytes`: an allocation past it raises MemoryError. The hard limit is left as it is,
    so the tools this process starts (LibreOffice, Tesseract) get the limit from before back
    (`parsers.safety.tool_preexec`); an operator's lower limit is kept."""
    size = 0
    with contextlib.suppress(OSError, ValueError), Path("/proc/self/status").open(encoding="ascii") as status:
        size = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
    before, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = size + (megabytes << 20)
    for bound in (before, hard):  # never looser than the operator's own limits
        if bound != resource.RLIM_INFINITY:
            soft = min(soft, bound)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    remember_tool_limit(before)


def run_in_child(
    parse: Any, seconds: float, data: bytes, filename: str, spec: OutlineSpec, *, memory_mb: int | None = None
) -> ParseResult:
    """One parse in a forked child; its result, a crash as a parse error, or the budget error
    (time: killed; memory: a MemoryError in the child, or the child killed by the kernel).
    The reader's modules are imported here first (once per process; nothing of the file is
    read): a child would otherwise import them again for every file (~60 ms each)."""
    from parsers.api import load_readers  # lazy: start-up of commands that parse nothing

    load_readers(filename)
    read_end, write_end = os.pipe()
    # The parent's objects are moved out of the collector's sight for the fork: the child's
    # collections then do not touch (and copy, page by page) the whole inherited heap.
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        raise
    if pid != 0:
        gc.unfreeze()
    if pid == 0:  # the child: parse, answer, leave without any cleanup of the parent's state
        status = 0
        try:
            os.setpgid(0, 0)
            os.close(read_end)
            _fresh_logging()
            if memory_mb:
                limit_memory(memory_mb)
            try:
                payload = pickle.dumps(("ok", parse(data, filename, spec)))
            except MemoryError:
                payload = pickle.dumps(("memory", ""))
            except BaseException as err:  # noqa: BLE001 — reported to the parent as a parse error
                payload = pickle.dumps(("crash", f"{type(err).__name__}: {err}"))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001 — the parent sees no answer and says so
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        chunks = _read_until(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
    if chunks is None:
        _kill(pid)
        log.warning("parse of %s stopped after %.0f s", filename, seconds)
        return budget_error(filename, seconds)
    _, status, usage = os.wait4(pid, 0)
    payload = b"".join(chunks)
    if not payload and memory_mb and _died_of_memory(status, usage.ru_maxrss * 1024, memory_mb):
        log.warning("parse of %s died of signal %s under the memory limit", filename, os.WTERMSIG(status))
        return memory_error(filename, memory_mb)
    return _answer(payload, filename, memory_mb)


def _fresh_logging() -> None:
    """In the forked child: log lines go to a new stderr stream through one new handler, as
    the parent's own log lines do (its level and format), or nowhere when the parent logs
    nowhere (a cron run without BAOCAO_LOG_LEVEL stays silent).

    The parent has other threads (the intake's raw writer, storing the next fetched chunk while
    this file is parsed; Prefect's log worker; the fsync threads). A lock one of them held at
    the fork — a stream's buffer mid-write, a handler's queue — stays held forever in the child:
    `logging` re-creates its own handler locks at a fork, but not those of the streams and
    queues behind them, and a child logging through one would hang until its time budget and
    the file be reported as too slow. The child's own objects hold no such lock."""
    root = logging.getLogger()
    shown = [h for h in root.handlers if isinstance(h, logging.StreamHandler)]
    for logger in [root, *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            logger.handlers = []
    root.handlers = [logging.NullHandler()]
    try:
        stream = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115, PTH123 — the child's stderr, left open
    except OSError:  # no stderr at all (closed by the caller): nothing to write to
        return
    sys.stderr = stream
    if shown:
        handler = logging.StreamHandler(stream)
        handler.setLevel(shown[0].level)
        handler.setFormatter(shown[0].formatter or logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.handlers = [handler]


def _died_of_memory(status: int, peak_rss: int, memory_mb: int) -> bool:
    """A child that gave no answer died of memory: killed (the kernel's out-of-memory killer
    sends SIGKILL; our own kill on the time budget is reported before this), or aborted by a C
    library on a refused allocation *after it had grown to half the cap*. Any other crash
    (a corrupt file crashing a C reader) stays a parser crash, not "file too large"."""
    if not os.WIFSIGNALED(status):
        return False
    sig = os.WTERMSIG(status)
    if sig == signal.SIGKILL:
        return True
    return sig in (signal.SIGABRT, signal.SIGSEGV) and peak_rss >= (memory_mb << 20) // 2


def _read_until(fd: int, deadline: float) -> list[bytes] | None:
    """Everything the child writes until it closes the pipe; None when the deadline passes."""
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return chunks
            chunks.append(chunk)


def _answer(payload: bytes, filename: str, memory_mb: int | None = None) -> ParseResult:
    if not payload:
        return ParseResult(file=filename, error=ParseError("parser_crash", "lỗi khi đọc tệp: tiến trình đọc tệp dừng bất thường"))
    kind, value = pickle.loads(payload)  # noqa: S301 — our own child, through our own pipe
    if kind == "ok":
        return value
    if kind == "memory":
        return memory_error(filename, memory_mb)
    return ParseResult(file=filename, error=ParseError("parser_crash", f"lỗi khi đọc tệp: {value}"))


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
            break
        except ProcessLookupError:
            break
        except OSError:
            continue
    os.waitpid(pid, 0)
