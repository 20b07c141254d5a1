"""Typed settings for baocao, read once at the entry point (environment + optional .env)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # Who is told when a scheduled run fails (TĐC's address); empty = nobody.
    alert_email: str | None = None
    # Folder of trusted CA certificates (.pem/.crt/.cer/.der: the Vietnamese government CAs)
    # that PDF digital signatures must chain to; unset = signatures are checked but not trusted.
    trust_dir: Path | None = None

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

