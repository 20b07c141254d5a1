"""The memory cap of one file's parse (flows/intake/budget.py, BAOCAO_PARSE_MEMORY_MB)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.intake.budget import MEMORY_CODE, run_in_child, within_budget
from parsers.api import parse_bytes
from parsers.legacy import LibreOfficeConverter, find_soffice
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "tests" / "fixtures" / "formats"
sys.path.insert(0, str(ROOT / "bench"))
import bench_memory  # noqa: E402


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def _hog(data: bytes, filename: str, spec: OutlineSpec):  # noqa: ANN202
    if "hog" in filename:
        kept = [bytearray(64 << 20) for _ in range(64)]  # 4 GB, 64 MB at a time
        return len(kept)
    return parse_bytes(data, filename, spec)


def test_a_parse_beyond_the_cap_is_a_typed_problem_and_the_next_file_parses(spec: OutlineSpec) -> None:
    data = (FORMATS / "bao-cao.docx").read_bytes()
    parse = within_budget(_hog, 600, memory_mb=256)
    refused = parse(data, "hog.docx", spec)
    assert refused.error is not None and refused.error.code == MEMORY_CODE
    assert "tệp quá lớn để đọc" in refused.error.message and "256 MB" in refused.error.message
    after = parse(data, "bao-cao.docx", spec)
    assert after.error is None and after.to_json() == parse_bytes(data, "bao-cao.docx", spec).to_json()


def test_one_big_allocation_is_refused_too(spec: OutlineSpec) -> None:
    def once(*_args):  # noqa: ANN002, ANN202
        return bytes(3 << 30)

    refused = run_in_child(once, 600, b"", "x.docx", spec, memory_mb=128)
    assert refused.error is not None and refused.error.code == MEMORY_CODE
    uncapped = run_in_child(lambda *_a: "ok", 600, b"", "x.docx", spec)
    assert uncapped == "ok"


def test_a_crash_of_a_small_parse_is_a_parser_crash_not_too_large(spec: OutlineSpec) -> None:
    """A corrupt file that crashes a C reader (SIGSEGV) at once is not "too large to read"."""
    import os
    import signal

    def crash(*_args):  # noqa: ANN002, ANN202
        import faulthandler

        faulthandler.disable()  # pytest's handler would print the child's stack into the test log
        os.kill(os.getpid(), signal.SIGSEGV)

    crashed = run_in_child(crash, 600, b"x" * 3000, "a.xls", spec, memory_mb=1024)
    assert crashed.error is not None and crashed.error.code == "parser_crash"


def test_libreoffice_one_shot_is_not_held_to_the_parsers_cap(spec: OutlineSpec) -> None:
    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui")
    # soffice maps far more than 64 MB: it runs only because it gets the hard limit back.
    parse = partial(parse_bytes, converter=LibreOfficeConverter(timeout=300))
    result = run_in_child(parse, 600, (FORMATS / "bao-cao.doc").read_bytes(), "a.doc", spec, memory_mb=64)
    assert result.error is None and result.indicators


@pytest.mark.parametrize("make", [bench_memory.big_docx, bench_memory.big_xlsx], ids=["docx-49MB-image", "xlsx-49MB-rows"])
def test_a_49_mb_file_is_read_well_under_a_gigabyte(make, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / ("big.docx" if make is bench_memory.big_docx else "big.xlsx")
    path.write_bytes(make())
    assert 40 << 20 < path.stat().st_size <= 50 << 20
    got = bench_memory.peak(path, memory_mb=1024)
    assert got["error"] in (None, MEMORY_CODE, "too_large", "unsafe_file"), got
    assert got["peak_rss_mb"] < 1024, got


def test_a_real_parse_past_a_small_cap_is_refused_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "many-rows.xlsx"
    path.write_bytes(bench_memory.big_xlsx())
    refused = bench_memory.peak(path, memory_mb=32)
    assert refused["error"] in ("too_large", MEMORY_CODE), refused
    assert "quá lớn để đọc" in refused["message"]
    fine = bench_memory.peak(FORMATS / "bieu.xlsx", memory_mb=32)
    assert fine["error"] is None and fine["indicators"]


def test_the_cap_never_loosens_an_operators_own_limit_and_tools_get_it_back() -> None:
    """Under `ulimit -Sv` lower than size + cap, the parse child keeps the operator's limit,
    and a tool started from it gets that limit back (not the hard limit)."""
    import os
    import pickle
    import resource

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a child of its own: the limits are per process
        try:
            from flows.intake.budget import limit_memory
            from parsers import safety

            operator = 6 << 30
            resource.setrlimit(resource.RLIMIT_AS, (operator, resource.getrlimit(resource.RLIMIT_AS)[1]))
            limit_memory(100 << 10)  # 100 GB above the current size: looser than the operator's
            after = resource.getrlimit(resource.RLIMIT_AS)[0]
            restore = safety.tool_preexec()
            os.write(write, pickle.dumps((operator, after, restore is None)))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        operator, after, no_restore = pickle.loads(answer.read())
    os.waitpid(pid, 0)
    assert after == operator
    assert no_restore  # the soft limit is the operator's: nothing to give back
