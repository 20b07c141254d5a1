"""Shared fixtures: the project's config, databases (SQLite and a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
SECOND_CAMPAIGN = "kiem-tra-do-luong-2025"  # tests/fixtures/campaigns: open beside Đề án 996


def two_campaign_config(target: Path) -> Path:
    """The project's config plus the second campaign (its recipients overlap Đề án 996's)."""
    import shutil

    shutil.copytree(CONFIG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in (f"{SECOND_CAMPAIGN}.yaml", f"{SECOND_CAMPAIGN}.csv"):
        shutil.copy(ROOT / "tests" / "fixtures" / "campaigns" / name, target / "campaigns" / name)
    return target
PG_ADMIN_URL = os.environ.get("BAOCAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin():
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({err}). Start it with "
            "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' or "
            "install it with 'apt-get install -y postgresql'; set BAOCAO_TEST_PG to use another server."
        )


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped at the end)."""
    name = f"baocao_t_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A PostgreSQL database emptied before the test (schema dropped and recreated)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_server_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield pg_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'baocao.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def warm_lo() -> Iterator[None]:
    """Legacy files convert through the worker's warm LibreOffice during the test (tests/lo_warm.py)."""
    from tests.lo_warm import serving

    with serving():
        yield


@pytest.fixture(scope="session", autouse=True)
def _stop_warm_lo() -> Iterator[None]:
    """The worker's warm LibreOffice (if a test started one) stops with the session."""
    yield
    from tests.lo_warm import stop

    stop()


@pytest.fixture
def settings_factory(tmp_path: Path):
    """Build Settings pointing at a temp data dir (and the project's config unless told)."""
    from config.settings import Settings

    def make(database_url: str | None = None, config_dir: Path = CONFIG_DIR, **kw) -> Settings:
        return Settings(
            _env_file=None,
            database_url=database_url,
            data_dir=tmp_path / "data",
            config_dir=config_dir,
            **kw,
        )

    return make


@pytest.fixture
def app(settings_factory, db_url):
    """An initialised application (database migrated, Đề án 996 loaded) on each backend."""
    from flows.app import App, init

    application = App(settings_factory(database_url=db_url))
    init(application)
    yield application
    application.engine.dispose()
