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
    # JSON output draws nothing with Rich: its console loads only for people's output.
    code = "import json, sys, io, contextlib\n" + setup + "print(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "rich.console" not in modules
    assert "rich.table" not in modules


# What `status` reads through instead: Core statements over storage.tables (issue 14 point 3).
ORM = ("sqlalchemy.orm", "storage.models", "storage.blobs", "storage.ingest", "storage.campaigns", "parsers.model")
POSTGRESQL_DIALECT = "sqlalchemy.dialects.postgresql"


def _status_modules(tmp_path: Path, *args: str) -> tuple[str, list[str]]:
    """`baocao status ARGS` on a fresh SQLite database of 28 recipients, in a fresh
    interpreter: its output and the modules it loaded."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}, "BAOCAO_DATA_DIR": str(tmp_path / "data")}
    if not (tmp_path / "data").exists():
        init = subprocess.run([sys.executable, "-m", "flows.cli.main", "init"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert init.returncode == 0, init.stderr
    code = (
        "import json, sys, io, contextlib\n"
        "from flows.cli.main import cli\n"
        f"sys.argv = ['baocao', 'status', *{list(args)!r}]\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        cli()\n    except SystemExit:\n        pass\n"
        "import os\n"
        "loader = sys.modules.get('pydantic.plugin._loader')\n"
        "scanned = loader is not None and loader._plugins is not None\n"
        "modules = sorted(sys.modules) + (['(pydantic plugins looked up)'] if scanned else [])\n"
        "modules += ['(PYDANTIC_DISABLE_PLUGINS left set)'] if 'PYDANTIC_DISABLE_PLUGINS' in os.environ else []\n"
        "print(json.dumps([buf.getvalue(), modules]))\n"
    )
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    output, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return output, modules


def test_status_reads_without_the_orm_or_the_postgresql_dialect(tmp_path):
    """`status` (table and --json) on SQLite: no ORM, no declarative models, no PostgreSQL
    dialect, no look-up of Pydantic plugins (the environment left as it was) — and still the
    whole answer."""
    output, modules = _status_modules(tmp_path, "--json")
    assert len(json.loads(output)["recipients"]) == 28
    assert [m for m in (*ORM, POSTGRESQL_DIALECT) if m in modules] == []
    assert [m for m in modules if m.startswith("(")] == []
    assert "sqlalchemy.dialects.sqlite" in modules
    output, modules = _status_modules(tmp_path)
    assert "Tổng 28 đơn vị" in output
    assert [m for m in (*ORM, POSTGRESQL_DIALECT) if m in modules] == []
    assert "rich.table" in modules  # the table is drawn by Rich, as before


def test_the_models_carry_the_partial_indexes_for_both_dialects():
    """storage.tables leaves the partial indexes out (their postgresql_where loads that
    dialect); importing storage.models adds them, with the predicate for both databases."""
    code = (
        "import json, sys\n"
        "import storage.status\n"
        "from storage.tables import metadata\n"
        "before = [m for m in ('sqlalchemy.orm', 'sqlalchemy.dialects.postgresql') if m in sys.modules]\n"
        "names = lambda: sorted(i.name for t in metadata.tables.values() for i in t.indexes if i.dialect_options['sqlite']['where'] is not None)\n"
        "without = names()\n"
        "import storage.models\n"
        "import storage.models  # once only\n"
        "where = {i.name: [str(i.dialect_options[d]['where']) for d in ('sqlite', 'postgresql')]\n"
        "         for t in metadata.tables.values() for i in t.indexes if i.dialect_options['postgresql']['where'] is not None}\n"
        "print(json.dumps([before, without, where, len([i for t in metadata.tables.values() for i in t.indexes])]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    before, without, where, count = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == []
    assert without == []
    assert sorted(where) == [
        "ix_inbound_file_failed", "ix_inbound_mail_failed", "ix_inbound_mail_failed_box",
        "ix_inbound_mail_review", "ix_inbound_mail_unmarked", "ix_ocr_job_pending", "ix_review_item_open",
        "ux_outbound_mail_no_recipient_slot",
        "ux_outbound_mail_receipt_slot",
    ]
    assert where["ix_review_item_open"] == ["status = 'open'", "status = 'open'"]
    assert where["ux_outbound_mail_receipt_slot"] == ["kind = 'receipt'", "kind = 'receipt'"]
    assert all(sqlite == pg for sqlite, pg in where.values())
    assert where["ux_outbound_mail_no_recipient_slot"] == ["recipient_id IS NULL", "recipient_id IS NULL"]
    assert count == 24  # as many as before the tables moved to storage.tables, plus the one-receipt-per-slot index (0004), ix_ocr_job_status (0005), one alert per slot and the OCR jobs to read (0006)


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
