"""Regenerate the initial migration from the models (pre-release only: schema 0001 is unreleased).

Usage: .venv/bin/python -m storage.migrations.regenerate
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from storage.db import alembic_config, make_engine

VERSIONS = Path(__file__).parent / "versions"


def main() -> None:
    """Delete 0001 and autogenerate it again against an empty SQLite database."""
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/gen.sqlite")
        command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
    for path in VERSIONS.glob("0001_*.py"):
        text = path.read_text()
        text = text.replace("storage.models.UTCDateTime(timezone=True)", "sa.DateTime(timezone=True)")
        text = re.sub(r"^import storage\.models\n", "", text, flags=re.M)
        path.write_text(text)


if __name__ == "__main__":
    main()
