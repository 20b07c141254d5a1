"""A parse child forked while another thread of the parent holds a log stream's lock (the raw
writer thread mid-way through a log line, Prefect's log worker) still logs and answers."""

from __future__ import annotations

import logging
import threading

from flows.intake.budget import BUDGET_CODE, run_in_child
from parsers.model import OutlineSpec, ParseResult


class _HeldStream:
    """A log stream whose writes take a lock, as a buffered file's do."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        with self.lock:
            self.lines.append(text)

    def flush(self) -> None:
        with self.lock:
            pass


def _logging_parse(data: bytes, filename: str, spec: OutlineSpec) -> ParseResult:
    logging.getLogger("parsers.legacy").warning("converting %s one-shot", filename)
    return ParseResult(file=filename, extra_text=data.decode())


def test_child_logs_although_a_thread_held_the_stream_at_the_fork() -> None:
    stream = _HeldStream()
    handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
    logger = logging.getLogger("parsers")  # where the child logs (the parent's own warnings go elsewhere)
    logger.addHandler(handler)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:  # mid-way through a write when the child is forked
        with stream.lock:
            holding.set()
            release.wait()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        holding.wait()
        result = run_in_child(_logging_parse, 20, b"noi dung", "bao-cao.doc", OutlineSpec(sections=(), rows=()))
    finally:
        release.set()
        thread.join()
        logger.removeHandler(handler)
    assert result.error is None or result.error.code != BUDGET_CODE, result.error
    assert result.error is None and result.extra_text == "noi dung"
    assert stream.lines == []  # the child did not write through the parent's stream


def test_child_is_silent_when_the_parent_logs_nowhere(capfd, monkeypatch) -> None:  # noqa: ANN001
    """A cron run without BAOCAO_LOG_LEVEL logs to a NullHandler: its parse children print no
    library warnings either (they would mail the cron owner on every poll)."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [logging.NullHandler()])
    result = run_in_child(_logging_parse, 20, b"noi dung", "bao-cao.doc", OutlineSpec(sections=(), rows=()))
    assert result.error is None and result.extra_text == "noi dung"
    assert capfd.readouterr().err == ""


def test_child_answers_with_its_parents_stderr_closed(tmp_path) -> None:  # noqa: ANN001
    """A parent started with fd 2 closed: the child cannot open a stderr stream, and still parses."""
    import subprocess
    import sys

    script = (
        "import logging, os\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "os.close(2)\n"
        "from flows.intake.budget import run_in_child\n"
        "from parsers.model import OutlineSpec\n"
        "from tests.flows.intake.test_fork_with_threads import _logging_parse\n"
        "r = run_in_child(_logging_parse, 20, b'noi dung', 'x.doc', OutlineSpec(sections=(), rows=()))\n"
        "print(r.error, r.extra_text)\n"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.strip() == "None noi dung", (out.stdout, out.stderr)
