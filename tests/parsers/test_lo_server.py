"""One warm LibreOffice per batch (parsers/lo_server.py), with real LibreOffice and unoserver.

Each test makes the one-shot path fail (`LibreOfficeConverter._run` raises) where it must not
be used, so a conversion that succeeds went through the warm server.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from functools import partial
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.intake.budget import within_budget
from parsers import lo_server
from parsers.api import parse_bytes
from parsers.legacy import LibreOfficeConverter, find_soffice
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "tests/fixtures/formats/bao-cao.doc",
    ROOT / "tests/fixtures/independent/c04_congan_report.doc",
    ROOT / "tests/fixtures/independent/c05_baoptth_report.doc",
]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture
def warm():
    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui")
    why = lo_server.unoserver_available()
    if why:
        pytest.fail(f"warm LibreOffice cannot run: {why} (apt-get install -y python3-uno; uv sync)")
    with lo_server.warm_libreoffice(wait=True) as server:
        assert server is not None
        yield server


def _no_one_shot(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    used: list[str] = []

    def refuse(self, binary, work, src, out_dir, target, source):  # noqa: ANN001, ARG001
        used.append(source)
        raise AssertionError("one-shot LibreOffice used")

    monkeypatch.setattr(LibreOfficeConverter, "_run", refuse)
    return used


def test_warm_parse_equals_one_shot(spec: OutlineSpec, warm: lo_server.WarmLibreOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    lo_server.use_server(None)  # one-shot first, while the warm server waits
    one_shot = [parse_bytes(p.read_bytes(), p.name, spec, converter=LibreOfficeConverter()) for p in DOCS]
    lo_server.use_server(warm.address)
    _no_one_shot(monkeypatch)
    warmed = [parse_bytes(p.read_bytes(), p.name, spec, converter=LibreOfficeConverter()) for p in DOCS]
    assert all(r.error is None for r in warmed), [r.error for r in warmed]
    assert any(r.indicators for r in warmed)
    assert warmed == one_shot
    assert warm.starts == 1


def test_forked_budget_child_uses_the_warm_server(spec: OutlineSpec, warm: lo_server.WarmLibreOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_one_shot(monkeypatch)  # the patch is inherited by the fork
    parse = within_budget(partial(parse_bytes, converter=LibreOfficeConverter(timeout=100)), 120)
    result = parse(DOCS[0].read_bytes(), "a.doc", spec)
    assert result.error is None and result.indicators


def test_killed_server_is_restarted_and_next_file_converts(spec: OutlineSpec, warm: lo_server.WarmLibreOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_one_shot(monkeypatch)
    first = warm.proc.pid
    os.killpg(first, signal.SIGKILL)
    warm.proc.wait()
    result = parse_bytes(DOCS[1].read_bytes(), "b.doc", spec, converter=LibreOfficeConverter())
    assert result.error is None
    assert warm.starts == 2 and warm.proc.pid != first


def test_hung_server_times_out_is_killed_and_replaced(spec: OutlineSpec, warm: lo_server.WarmLibreOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_one_shot(monkeypatch)
    hung = warm.proc.pid
    os.killpg(hung, signal.SIGSTOP)  # the server and its soffice stop answering
    started = time.monotonic()
    result = parse_bytes(DOCS[0].read_bytes(), "a.doc", spec, converter=LibreOfficeConverter(timeout=3))
    waited = time.monotonic() - started
    assert result.error is not None and result.error.code == "conversion_failed"
    assert "sau 3 giây" in result.error.message
    assert waited < 60, "the converter's timeout stops the wait for a hung server"
    assert warm.proc.wait(timeout=30) == -signal.SIGKILL  # killed with its group, not left stopped
    again = parse_bytes(DOCS[2].read_bytes(), "c.doc", spec, converter=LibreOfficeConverter())
    assert again.error is None
    assert warm.starts == 2


def test_child_falls_back_to_one_shot_when_server_gone(spec: OutlineSpec, warm: lo_server.WarmLibreOffice, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = tmp_path / "one-shot"
    real_run = LibreOfficeConverter._run

    def counting(self, *args):  # noqa: ANN001, ANN002
        marker.write_text("used")
        return real_run(self, *args)

    monkeypatch.setattr(LibreOfficeConverter, "_run", counting)
    os.killpg(warm.proc.pid, signal.SIGKILL)
    warm.proc.wait()
    # A forked child does not own the server: it cannot restart it, so it converts one-shot.
    parse = within_budget(partial(parse_bytes, converter=LibreOfficeConverter(timeout=100)), 120)
    result = parse(DOCS[0].read_bytes(), "a.doc", spec)
    assert result.error is None and result.indicators
    assert marker.read_text() == "used"
    lo_server.ensure_alive()  # what the intake loop does before each message
    assert warm.alive() and warm.starts == 2


def test_no_uno_means_one_shot_with_a_log_line(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(lo_server, "SYSTEM_PYTHON", "/nonexistent/python3")
    with caplog.at_level(logging.INFO, logger="parsers.lo_server"), lo_server.warm_libreoffice() as server:
        assert server is None
        assert lo_server.current() is None
    assert "no warm LibreOffice" in caplog.text


def test_parse_pool_workers_use_the_warm_server(spec: OutlineSpec, warm: lo_server.WarmLibreOffice) -> None:
    from email.message import EmailMessage

    from flows.intake.pool import AheadParse
    from parsers.mail import parse_mail

    mail = EmailMessage()
    mail["Subject"] = "Báo cáo"
    mail.set_content("Gửi báo cáo.")
    mail.add_attachment(DOCS[0].read_bytes(), maintype="application", subtype="msword", filename="a.doc")
    parse = within_budget(partial(parse_bytes, converter=LibreOfficeConverter(timeout=100)), 120)
    with AheadParse(parse, spec, 1, 1) as ahead:
        assert ahead.submit([parse_mail(mail.as_bytes())]) == 1
        assert ahead.executor.submit(lo_server.current).result() == warm.address
        result = ahead(DOCS[0].read_bytes(), "a.doc", spec)
        assert ahead.from_pool == 1
    assert result.error is None and result.indicators


def test_files_queued_at_one_server_are_not_timed_out_for_each_others_work(tmp_path: Path) -> None:
    """unoserver converts one file at a time. Four workers at once, 1 s a file, a 2.5 s timeout:
    none may time out (nor kill the server) while waiting behind the others; a file that does not
    get its turn within TURN_WAIT goes one-shot (ServerGone). A stand-in XML-RPC server as
    single-threaded as unoserver's: the queueing, not LibreOffice, is under test."""
    import threading
    import xmlrpc.server

    server = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), allow_none=True, logRequests=False)

    def convert(*args):  # noqa: ANN002, ANN202
        time.sleep(1.0)
        Path(args[2]).write_text("ok")

    server.register_function(convert)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = lo_server.ServerAddress(server.server_address[1], str(tmp_path), owner=-1)
    results: dict[int, str] = {}

    def one(i: int) -> None:
        try:
            lo_server.convert_file(address, tmp_path / "in.doc", tmp_path / f"out{i}.docx", "docx", None, timeout=2.5)
            results[i] = "ok"
        except lo_server.ServerGone:
            results[i] = "one-shot"
        except TimeoutError:
            results[i] = "timeout"

    workers = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    server.shutdown()
    assert "timeout" not in results.values(), results
    assert list(results.values()).count("ok") >= 2, results
    assert sorted(results) == [0, 1, 2, 3]


def test_lazy_server_starts_only_when_a_file_needs_it(spec: OutlineSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A lazy warm server: nothing runs for names that need no conversion; a conversion in a
    forked child that found it not started goes one-shot and asks the owner, who starts it."""
    if not find_soffice() or lo_server.unoserver_available():
        pytest.fail("LibreOffice and unoserver are needed (apt-get install -y python3-uno; uv sync)")
    marker = tmp_path / "one-shot"
    real_run = LibreOfficeConverter._run

    def counting(self, *args):  # noqa: ANN001, ANN002
        marker.write_text("used")
        return real_run(self, *args)

    monkeypatch.setattr(LibreOfficeConverter, "_run", counting)
    with lo_server.warm_libreoffice(lazy=True) as server:
        assert server is not None and lo_server.current() is not None  # the address is known
        assert not lo_server.want_for([("BC.docx", "application/octet-stream"), ("so lieu.pdf", "application/pdf")])
        lo_server.ensure_alive()
        assert server.proc is None and server.starts == 0
        parse = within_budget(partial(parse_bytes, converter=LibreOfficeConverter(timeout=100)), 120)
        result = parse(DOCS[0].read_bytes(), "a.doc", spec)  # no want_for: as a zip member comes
        assert result.error is None and result.indicators
        assert marker.read_text() == "used" and server.starts == 0
        lo_server.ensure_alive()  # the intake loop, before the next message
        assert server.starts == 1
        assert server.wait_ready()
        marker.unlink()
        result = parse(DOCS[1].read_bytes(), "b.doc", spec)
        assert result.error is None and not marker.exists()  # the warm server converted it
    assert lo_server.current() is None


def test_lazy_server_starts_from_a_legacy_name() -> None:
    with lo_server.warm_libreoffice(lazy=True) as server:
        assert server is not None and server.starts == 0
        assert lo_server.want_for([("Báo cáo.DOC", "application/octet-stream")])
        assert server.starts == 1 and server.alive()
        assert not lo_server.want_for([("x.xls", "")])  # wanted once: nothing more to do
        assert server.starts == 1
    assert not lo_server.needs_libreoffice("bao-cao.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert lo_server.needs_libreoffice("bieu", "application/vnd.ms-excel")


def test_a_warm_server_that_cannot_start_leaves_files_to_one_shot(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Starting the lazy server mid-run fails (no process slot, no disk for its profile): the
    run goes on and files convert one-shot; the failure is said once, not raised per message."""
    def no_process(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise BlockingIOError(11, "Resource temporarily unavailable")

    with lo_server.warm_libreoffice(lazy=True) as server:
        assert server is not None and lo_server.current() is not None
        monkeypatch.setattr(lo_server.subprocess, "Popen", no_process)
        with caplog.at_level("WARNING", logger="parsers.lo_server"):
            assert lo_server.want_for([("bao-cao.doc", "")])  # no OSError out of here
            lo_server.ensure_alive()  # nor out of the intake loop's check before the next message
        assert lo_server.current() is None and server.proc is None  # conversions go one-shot
        assert [r.getMessage() for r in caplog.records].count(
            "could not start the warm LibreOffice ([Errno 11] Resource temporarily unavailable); converting one file per start"
        ) == 1, caplog.records


def test_spreadsheets_in_a_warm_batch_are_read_and_the_server_survives(
    spec: OutlineSpec, warm: lo_server.WarmLibreOffice
) -> None:
    """A batch with a warm server still reads .xls and .ods (LibreOffice 7.4 under unoserver
    cannot load spreadsheets: they go one-shot), and the Word files after them still go warm."""
    sheets = [ROOT / "tests/fixtures/formats/bieu.xls", ROOT / "tests/fixtures/formats/bieu.ods"]
    results = [parse_bytes(p.read_bytes(), p.name, spec, converter=LibreOfficeConverter()) for p in sheets]
    assert [r.error for r in results] == [None, None]
    assert all(r.indicators for r in results)
    doc = DOCS[0]
    after = parse_bytes(doc.read_bytes(), doc.name, spec, converter=LibreOfficeConverter())
    assert after.error is None and after.indicators
    assert warm.starts == 1  # the server was not killed by the spreadsheets
