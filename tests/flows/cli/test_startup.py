"""Start-up: what `baocao --help` and `baocao status` load (issue 14). Checked in a fresh
interpreter through sys.modules, not by timing: heavy libraries load only in the commands
that use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = (
    "pandas", "numpy", "prefect", "fastapi", "starlette", "docxtpl", "docx", "pdfplumber", "openpyxl", "alembic", "imap_tools",
    # Reading mail and files: `status` reads the ledger, it classifies and parses nothing.
    "parsers.mail", "parsers.mail_classify", "parsers.api", "rapidfuzz", "pathvalidate",
)

PROBE = """
import json, sys, io, contextlib
{setup}
heavy = {heavy!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def loaded(setup: str, env: dict[str, str] | None = None) -> list[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")} | (env or {})
    code = PROBE.format(setup=setup, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=full, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert loaded("import flows.cli.main") == []


def test_help_loads_no_heavy_library():
    setup = (
        "from flows.cli.main import cli\n"
        "sys.argv = ['baocao', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        cli()\n    except SystemExit:\n        pass\n"
    )
    assert loaded(setup) == []


def test_status_loads_no_heavy_library(tmp_path):
    env = {"BAOCAO_DATA_DIR": str(tmp_path / "data")}
    init = subprocess.run([sys.executable, "-m", "flows.cli.main", "init"], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)
    assert init.returncode == 0, init.stderr
    setup = (
        "from flows.cli.main import cli\n"
        "sys.argv = ['baocao', 'status', '--json']\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        cli()\n    except SystemExit:\n        pass\n"
        "assert len(json.loads(buf.getvalue())['recipients']) == 28\n"
    )
    assert loaded(setup, env) == []
    # JSON output draws no table: Rich's table module loads only for people's output.
    code = "import json, sys, io, contextlib\n" + setup + "print(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "rich.console" in modules
    assert "rich.table" not in modules


def test_schema_head_read_without_alembic_matches_alembic():
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from storage.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()


def test_help_loads_neither_sqlalchemy_nor_settings():
    """`--help` needs Typer and Rich only: the database layer and pydantic-settings load with a
    command that reads settings (they were ~0.4 s of every `baocao --help`)."""
    code = (
        "import sys, io, contextlib\n"
        "from flows.cli.main import cli\n"
        "sys.argv = ['baocao', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        cli()\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'pydantic_settings', 'storage.models', 'config.campaign') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_ingest_flow_run_loads_no_report_or_letter_libraries():
    """A served ingest run imports the flow module: the report's pandas and docxtpl and the
    reminder letters load only in the runs that build them."""
    code = (
        "import sys\nimport flows.runs.pipelines\n"
        "print(sorted(m for m in ('pandas', 'docxtpl', 'flows.report', 'flows.outbound.reminders') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_cli_exits_with_its_code_and_output_after_freezing_the_heap(tmp_path):
    """main() freezes the heap at exit (no final garbage collection): output is still flushed
    and a user mistake still exits 2 with its one line."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}, "BAOCAO_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "flows.cli.main", "status", "--campaign", "khong-co"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("Lỗi")
