"""Typed settings for baocao, read once at the entry point (environment + optional .env)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError

Security = Literal["ssl", "starttls", "none"]


class ImapSettings(BaseModel):
    """The official mailbox agencies reply to."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: SecretStr | None = None
    security: Security = "ssl"
    folder: str = "INBOX"
    # What to do with a message once it is safely stored: a keyword flag or a move.
    ack: Literal["flag", "move"] = "flag"
    ack_flag: str = "BaocaoProcessed"
    ack_folder: str = "Baocao/DaXuLy"
    verify_tls: bool = True
    # The first poll of a mailbox skips mail that arrived this many days before the earliest
    # open campaign's request date (years of other business, earlier rounds).
    first_poll_margin_days: int = Field(default=30, ge=0)
    # One UID FETCH brings at most this many messages, and at most this many bytes (by the
    # server's RFC822.SIZE), so a first pass over years of mail is fast and memory stays flat.
    fetch_chunk: int = Field(default=100, ge=1)
    fetch_chunk_bytes: int = Field(default=25 * 1024 * 1024, ge=1)

    @property
    def effective_port(self) -> int:
        """The port, defaulting by security mode (993 / 143)."""
        if self.port:
            return self.port
        return 993 if self.security == "ssl" else 143


class SmtpSettings(BaseModel):
    """The outgoing server for reminders, receipts and the request."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: SecretStr | None = None
    security: Security = "starttls"
    sender: str | None = None
    sender_name: str = "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi"
    # Messages per second at most (0 = no limit).
    rate_limit: float = 5.0
    verify_tls: bool = True
    timeout: float = 30.0
    # Reply-To `local+<campaign>.<agency>@domain` on mail to a recipient: replies route and
    # attribute exactly (needs a server that delivers plus-addressed mail to the mailbox).
    reply_tokens: bool = False

    @property
    def effective_port(self) -> int:
        """The port, defaulting by security mode (465 / 587 / 25)."""
        if self.port:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class DropSettings(BaseModel):
    """The shared folder agencies may drop files into."""

    dir: Path | None = None


class WebSettings(BaseModel):
    """The staff web workspace (`baocao web`, or inside `baocao serve` when a port is set)."""

    host: str = "127.0.0.1"
    # `baocao serve` starts the web workspace too when this is set; `baocao web` defaults to 8080.
    port: int | None = None
    # Signs the session cookies; required outside the demo.
    secret_key: SecretStr | None = None
    # The address people open (https://… makes the session cookie Secure).
    base_url: str | None = None

    @property
    def secure_cookies(self) -> bool:
        """Session cookies only over HTTPS when the public address is https."""
        return bool(self.base_url and self.base_url.lower().startswith("https://"))


class Settings(BaseSettings):
    """All of baocao's configuration. Names are a contract: BAOCAO_*, `__` for nesting."""

    model_config = SettingsConfigDict(
        env_prefix="BAOCAO_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str | None = None
    data_dir: Path = Path("data")
    config_dir: Path = Path("config")
    timezone: str = "Asia/Ho_Chi_Minh"
    imap: ImapSettings = Field(default_factory=ImapSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    drop: DropSettings = Field(default_factory=DropSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    # Maximum size of one attachment or dropped file that is parsed (bytes).
    max_file_bytes: int = 50 * 1024 * 1024
    # How often a message that failed for a transient reason (disk, database, server) is tried.
    retry_limit: int = Field(default=5, ge=1)
    # Seconds one file may take to read (LibreOffice conversion, parsing) before it is stopped.
    file_budget_seconds: float = Field(default=60.0, gt=0)
    # Megabytes of address space one file's parse may add to what its child inherits (RLIMIT_AS;
    # LibreOffice and Tesseract are not counted); past it the file is "tệp quá lớn để đọc".
    parse_memory_mb: int = Field(default=1024, ge=64)
    # Scans (image files, PDFs without a text layer) are not read inside a poll: they wait in
    # the OCR queue (`baocao ocr`, the `ocr-queue` deployment, the end of each ingest run), one
    # at a time, each with `ocr_budget_seconds` plus `ocr_page_seconds` a page. Off: read inline.
    ocr_queue: bool = True
    ocr_budget_seconds: float = Field(default=60.0, gt=0)
    ocr_page_seconds: float = Field(default=20.0, ge=0)
    # A batch converts its .doc/.xls/… through one warm LibreOffice (unoserver) instead of one
    # start per file; off: every file starts its own.
    lo_warm: bool = True
    # Files are parsed in a pool of worker processes when at least `parse_pool_min` wait in
    # one fetch, or the poll holds that many messages large enough to carry a file (a first
    # pass over a full mailbox); 0 workers = one per available core.
    parse_workers: int = Field(default=0, ge=0)
    parse_pool_min: int = Field(default=24, ge=1)
    # Who is told when a scheduled run fails (TĐC's address); empty = nobody.
    alert_email: str | None = None
    # Folder of trusted CA certificates (.pem/.crt/.cer/.der: the Vietnamese government CAs)
    # that PDF digital signatures must chain to; unset = signatures are checked but not trusted.
    trust_dir: Path | None = None
    # A mailbox or shared folder from which nothing could be fetched for this many working
    # hours mails BAOCAO_ALERT_EMAIL (once per outage).
    alert_after_hours: float = 6.0

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError("không phải múi giờ IANA (dùng Asia/Ho_Chi_Minh)") from err
        return value

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'baocao.sqlite3').resolve()}"

    @property
    def campaigns_dir(self) -> Path:
        """Where campaign YAML files live."""
        return self.config_dir / "campaigns"

    @property
    def templates_dir(self) -> Path:
        """Where the staff-editable mail templates live."""
        return self.config_dir / "templates"

    @property
    def blobs_dir(self) -> Path:
        """Content-addressed store of raw mail and files."""
        return self.data_dir / "blobs"

    @property
    def reports_dir(self) -> Path:
        """Where consolidated reports are written."""
        return self.data_dir / "reports"



def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; a wrong value is one line naming the variable and what
    it accepts (ConfigError), not pydantic's report."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError("; ".join(_setting_problem(e) for e in err.errors())) from None


_SECRET_WORDS = ("password", "secret", "key")


def _setting_problem(error: Any) -> str:
    """One validation error as 'BAOCAO_X__Y=value: what is allowed'."""
    loc = [str(p) for p in error.get("loc", ())]
    name = "BAOCAO_" + "__".join(p.upper() for p in loc)
    value = error.get("input")
    shown = "***" if any(w in name.lower() for w in _SECRET_WORDS) else value
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "literal_error":
        allowed = ctx.get("expected", "").replace("' or '", "', '")
        what = f"chỉ nhận {allowed}"
    elif kind in ("int_parsing", "int_from_float"):
        what = "phải là số nguyên"
    elif kind == "float_parsing":
        what = "phải là số"
    elif kind == "bool_parsing":
        what = "phải là true hoặc false"
    elif kind in ("greater_than", "greater_than_equal"):
        what = f"phải {'lớn hơn' if kind == 'greater_than' else 'từ'} {ctx.get('gt', ctx.get('ge'))} trở lên".replace("lớn hơn 0 trở lên", "lớn hơn 0")
    elif kind == "value_error":
        what = str(ctx.get("error", error.get("msg", "")))
    else:
        what = str(error.get("msg", "giá trị không hợp lệ"))
    return f"biến môi trường {name}={shown!s} không hợp lệ: {what}" if value is not None else f"{name}: {what}"
