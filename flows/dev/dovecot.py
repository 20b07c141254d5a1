"""A real Dovecot IMAP server on 127.0.0.1 for tests, the demo and benchmarks.

Dovecot runs in the foreground from a generated config in a temp dir (own base/state dirs and
instance name, so several can run); the caller owns the process and stops it with SIGTERM.
As root, mail is stored as `nobody` (Dovecot refuses mail access as UID 0).
"""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pydantic import SecretStr

from config.settings import ImapSettings
from flows.dev.net import DOVECOT_HINT, dovecot_binary, free_port
from flows.dev.smtp_capture import self_signed_cert

MailFormat = Literal["maildir", "mdbox", "sdbox"]
MAIL_FORMATS: tuple[str, ...] = ("maildir", "mdbox", "sdbox")
STARTUP_SECONDS = 300
PORT_ATTEMPTS = 5  # starts on new ports when another process took the free one first


class _PortTaken(RuntimeError):
    """Dovecot could not listen: another process bound the port after `free_port` chose it."""


def _mail_owner() -> tuple[int, int, str]:
    if os.getuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return entry.pw_uid, entry.pw_gid, entry.pw_name
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid, "root"


class DovecotServer:
    """Dovecot with one user, plaintext IMAP on a free port; `append` seeds messages."""

    def __init__(
        self,
        user: str = "baocao",
        password: str = "matkhau-thu",
        *,
        tls: bool = False,
        max_connections: int = 100,
        extra_config: str = "",
        mail_format: MailFormat = "maildir",
    ) -> None:
        if mail_format not in MAIL_FORMATS:
            raise ValueError(f"mail_format must be one of {MAIL_FORMATS}, not {mail_format!r}")
        # "maildir" (one file per message; the tests' default) or Dovecot's indexed storage
        # "mdbox" / "sdbox", whose cost does not grow with the folder (benchmarks).
        self.mail_format = mail_format
        self.max_connections = max_connections
        # More dovecot.conf lines, after ours (a repeated setting overrides ours; benchmarks:
        # `maildir_very_dirty_syncs = yes`, `mailbox_list_index_include_inbox = no`).
        self.extra_config = extra_config
        self.user, self.password = user, password
        self.host = "127.0.0.1"
        self.port = free_port()
        # With tls: STARTTLS on `port` and implicit TLS on `ssl_port` (self-signed certificate).
        self.tls = tls
        self.ssl_port = free_port() if tls else 0
        # Our server's greeting: the start checks that what answers on `port` is this Dovecot.
        self.instance = f"baocao-{uuid.uuid4().hex[:12]}"
        self.dir = Path(tempfile.mkdtemp(prefix="baocao-dovecot-"))
        self.dir.chmod(0o755)  # Dovecot's auth process runs as another user
        self.home = self.dir / "home" / user
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def maildir(self) -> Path:
        """The user's Maildir (INBOX is its root; mail_format "maildir")."""
        return self.home / "Maildir"

    @property
    def mail_location(self) -> str:
        """Dovecot's `mail_location` for this server's format."""
        if self.mail_format == "maildir":
            return "maildir:~/Maildir"
        return f"{self.mail_format}:~/{self.mail_format}"

    def _write_config(self) -> Path:
        uid, gid, internal = _mail_owner()
        for sub in ("base", "state", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        if self.mail_format == "maildir":
            self.maildir.mkdir(parents=True, exist_ok=True)
            for sub in ("cur", "new", "tmp"):
                (self.maildir / sub).mkdir(exist_ok=True)
        else:
            (self.home / self.mail_format).mkdir(parents=True, exist_ok=True)
        for path in [self.dir / "home", self.home, *self.home.rglob("*")]:
            os.chown(path, uid, gid)
        (self.dir / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.home}::\n")
        ssl_conf = "ssl = no"
        if self.tls:
            cert, key = self_signed_cert(self.dir)
            key.chmod(0o644)
            ssl_conf = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
        internal_user = "dovecot" if internal == "root" else internal
        login_user = "dovenull" if internal == "root" else internal
        internal_group = "dovecot" if internal == "root" else grp.getgrgid(gid).gr_name
        conf = f"""
instance_name = {self.instance}
login_greeting = {self.instance} ready.
base_dir = {self.dir / 'base'}
state_dir = {self.dir / 'state'}
log_path = {self.dir / 'dovecot.log'}
info_log_path = {self.dir / 'dovecot.log'}
listen = 127.0.0.1
protocols = imap
{ssl_conf}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = {self.mail_location}
first_valid_uid = {min(uid, 500)}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.dir / 'users'}
}}
userdb {{
  driver = passwd-file
  args = {self.dir / 'users'}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = {self.max_connections}
}}
# As README recommends for the official mailbox: STATUS INBOX answered from the mailbox list
# index instead of opening INBOX's index, which costs time proportional to the folder
# (Dovecot's default leaves INBOX out: "most mailbox accesses will open INBOX anyway").
mailbox_list_index = yes
mailbox_list_index_include_inbox = yes
{self.extra_config}
"""
        path = self.dir / "dovecot.conf"
        path.write_text(conf)
        return path

    def start(self) -> DovecotServer:
        """Start Dovecot and wait until it accepts connections.

        `free_port` only finds a port free at that moment: another process (a parallel test
        worker) may bind it before Dovecot does. So the start waits for *this* Dovecot's greeting
        (not whatever answers on the port) and, when Dovecot exits because the address is in
        use, starts again on new ports."""
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError(DOVECOT_HINT)
        for _ in range(PORT_ATTEMPTS - 1):
            try:
                return self._start_once(binary)
            except _PortTaken:
                self.port = free_port()
                self.ssl_port = free_port() if self.tls else 0
        return self._start_once(binary)

    def _start_once(self, binary: str) -> DovecotServer:
        conf = self._write_config()
        log = self.dir / "dovecot.log"
        log.unlink(missing_ok=True)
        self.proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS  # generous: a busy machine starts slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                text = log.read_text(errors="replace") if log.exists() else ""
                self.proc = None
                if "Address already in use" in out + text:
                    raise _PortTaken(out + text)
                raise RuntimeError(f"Dovecot exited: {out}\n{text}")
            if self._greets():
                return self
            time.sleep(0.01)
        raise RuntimeError(f"Dovecot did not start listening within {STARTUP_SECONDS} s")

    def _greets(self) -> bool:
        """True when this server (its own greeting) answers on `port`."""
        try:
            # A short wait per try: the loop tries again (a silent listener is not Dovecot).
            with socket.create_connection((self.host, self.port), timeout=5) as sock:
                return self.instance.encode() in sock.recv(1024)
        except OSError:
            return False

    def stop(self) -> None:
        """Stop Dovecot (SIGTERM, then SIGKILL) and remove its files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def settings(self, **overrides: object) -> ImapSettings:
        """ImapSettings pointing at this server (plaintext on 127.0.0.1)."""
        return local_imap_settings(self, **overrides)

    def client(self) -> imaplib.IMAP4:
        """A logged-in imaplib client (for seeding and inspection)."""
        conn = imaplib.IMAP4(self.host, self.port)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.login(self.user, self.password)
        return conn

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: tuple[str, ...] = (),
        date: dt.datetime | None = None,
    ) -> None:
        """APPEND a message (the INTERNALDATE is `date`, else now)."""
        conn = self.client()
        try:
            if folder != "INBOX":
                conn.create(folder)
            when = imaplib.Time2Internaldate((date or dt.datetime.now(dt.UTC)).timestamp())
            typ, data = conn.append(folder, f"({' '.join(flags)})" if flags else None, when, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            conn.logout()

    def seed_maildir(self, messages: list[bytes], start: int = 0) -> None:
        """Write messages straight into the INBOX Maildir (fast seeding of big mailboxes)."""
        if self.mail_format != "maildir":
            raise ValueError(f"seed_maildir writes Maildir files; this server stores {self.mail_format} (use seed)")
        uid, gid, _ = _mail_owner()
        new = self.maildir / "cur"
        now = int(time.time())
        for i, raw in enumerate(messages, start=start):
            path = new / f"{now}.M{i}P{os.getpid()}.seed,S={len(raw)}:2,S"
            path.write_bytes(raw)
            os.chown(path, uid, gid)

    def seed(self, messages: list[bytes], *, via: Literal["import", "append"] = "import") -> None:
        """Put messages into INBOX as fast as the format allows (seen, dated now).

        Maildir: files written straight into cur/. mdbox / sdbox: the files are written to a
        staging Maildir and moved in by one `doveadm import` (via="import"), or APPENDed over one
        IMAP connection (via="append", slower; kept to compare)."""
        if self.mail_format == "maildir":
            self.seed_maildir(messages)
            return
        if via == "append":
            conn = self.client()
            try:
                for raw in messages:
                    typ, data = conn.append("INBOX", "(\\Seen)", None, raw)
                    if typ != "OK":
                        raise RuntimeError(f"APPEND failed: {data!r}")
            finally:
                conn.logout()
            return
        uid, gid, _ = _mail_owner()
        stage = self.dir / "stage"
        for sub in ("cur", "new", "tmp"):
            (stage / sub).mkdir(parents=True, exist_ok=True)
        now = int(time.time())
        for i, raw in enumerate(messages):
            (stage / "cur" / f"{now}.M{i}P{os.getpid()}.seed,S={len(raw)}:2,S").write_bytes(raw)
        for path in [stage, *stage.rglob("*")]:
            os.chown(path, uid, gid)
        try:
            self.doveadm("import", "-u", self.user, f"maildir:{stage}:LAYOUT=fs", "", "all")
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        """Run `doveadm` against this server's config (the server must be running)."""
        binary = shutil.which("doveadm", path=f"{Path(dovecot_binary() or 'dovecot').parent}:{os.environ.get('PATH', '')}")
        if binary is None:
            raise RuntimeError(DOVECOT_HINT)
        done = subprocess.run([binary, "-c", str(self.dir / "dovecot.conf"), *args], capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
        return done.stdout.decode(errors="replace")

    def recreate_folder(self, folder: str = "INBOX") -> None:
        """Forget a folder's UIDs and keywords, as a restore onto a new server would: the next
        SELECT sees a new UIDVALIDITY and no message carries our keyword any more."""
        if self.mail_format != "maildir":
            raise ValueError(f"recreate_folder edits Maildir files; this server stores {self.mail_format}")
        path = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        for name in ("dovecot-uidlist", "dovecot-keywords", "dovecot.index", "dovecot.index.cache", "dovecot.index.log"):
            (path / name).unlink(missing_ok=True)
        for sub in ("cur", "new"):
            for file in (path / sub).iterdir():
                base, sep, flags = file.name.partition(":2,")
                if sep and flags != "".join(c for c in flags if c.isupper()):
                    file.rename(file.with_name(f"{base}:2,{''.join(c for c in flags if c.isupper())}"))


def local_imap_settings(server: Any, **overrides: object) -> ImapSettings:
    """ImapSettings for a local test or demo server (host, port, user, password; plaintext)."""
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "user": server.user,
        "password": SecretStr(server.password),
        "security": "none",
    }
    values.update(overrides)
    return ImapSettings(**values)  # type: ignore[arg-type]
