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


def test_schema_head_read_without_alembic_matches_alembic():
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from storage.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
