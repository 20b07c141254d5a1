"""One warm LibreOffice for a batch of conversions (unoserver), instead of one start per file.

`warm_libreoffice()` starts `unoserver` (its server runs under Debian's /usr/bin/python3, which
has python3-uno) on free ports with its own profile dir, in its own process group, and makes it
this process's server: `LibreOfficeConverter` (parsers/legacy.py) then sends conversions there,
from this process and from the children forked from it (the per-file budget's children, whose
pool workers get it through `use_server`). Nothing else changes for the callers: same timeout,
same Vietnamese errors.

What goes wrong, and what happens then:
- the server is not up yet, or is gone (connection refused): that file is converted one-shot
  (`soffice --convert-to`), with a log line; the owner process restarts the server (`ensure`,
  called once per message by the intake loop, and before any conversion in the owner);
- a conversion hangs past the converter's timeout: the whole server group is killed (any process
  may do it: the group id is part of the address), the file gets the usual timeout error, and
  the next file finds the server gone (above);
- unoserver or python3-uno missing: no server, one-shot for every file, one log line;
- several processes at once (the parse pool's workers): unoserver converts one file at a time,
  so each conversion first takes its turn (an flock in the server's folder) and its timeout
  starts only then; one that does not get its turn within TURN_WAIT converts one-shot, in
  parallel — no file is timed out, and no server killed, for the others' work.

Conversions go through files (inpath/outpath in the run's temp dir, the same machine), so the
input's extension picks LibreOffice's import filter exactly as the one-shot path does.

`warm_libreoffice(lazy=True)` (the mail intake's batches, most of which carry no legacy file)
reserves the address (ports, folder) for the block and starts nothing: the server starts when
the owner learns that a file needs it — `want_for(names)` with the names it already has (the
parse-ahead pool's files, each file before its parse) — or when any process's conversion found
it not started (a `wanted` mark in the folder, seen by the owner's next `ensure_alive`). Until
it answers, conversions go one-shot, as above.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# File name extensions of what LibreOffice converts (a drop folder's cue to start one warm).
LEGACY_SUFFIXES = frozenset({".doc", ".xls", ".rtf", ".odt", ".ods"})
LEGACY_TYPES = frozenset({
    "application/msword", "application/vnd.ms-excel", "application/rtf", "text/rtf",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
})
# In the server's folder: LAZY while a lazy server is not started; WANTED left by a conversion
# (any process) that found it so.
LAZY, WANTED = "lazy", "wanted"
SYSTEM_PYTHON = "/usr/bin/python3"
# unoserver converts one file at a time: a conversion waits this long for its turn, then goes
# one-shot (in parallel) rather than spend its own timeout queued behind the others'.
TURN_WAIT = 2.0
MAX_STARTS = 10  # a server that keeps dying is given up for the rest of the batch  # the interpreter that has Debian's python3-uno
UNO_HINT = "apt-get install -y python3-uno"


@dataclass(frozen=True)
class ServerAddress:
    """Where a warm server listens, and the folder whose `pgid` file names its process group
    (to kill it on a hang; a restarted server keeps the ports and writes its own group there)."""

    port: int
    state_dir: str
    owner: int  # the pid of the process that started it (the one that restarts it)


class ServerGone(Exception):
    """The warm server did not answer (not up yet, dead, killed): convert one-shot."""


_current: ServerAddress | None = None
_owned: WarmLibreOffice | None = None


def current() -> ServerAddress | None:
    """This process's warm server, if any (inherited by forked children)."""
    return _current


def use_server(address: ServerAddress | None) -> None:
    """Make `address` this process's warm server (a pool worker's initializer)."""
    global _current
    _current = address


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


def _proxy(port: int, timeout: float) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}", transport=_Transport(timeout), allow_none=True)


def convert_file(address: ServerAddress, src: Path, out: Path, target: str, filtername: str | None, timeout: float) -> None:
    """`src` converted to `out` by the warm server. ServerGone when it does not answer;
    TimeoutError (after the server's group is killed) when it takes longer than `timeout`."""
    if _owned is not None and address.owner == os.getpid():
        if not _owned.wanted:  # lazy and not started: start it for the next files, this one one-shot
            _owned.want()
            raise ServerGone("starting")
        _owned.ensure(wait=True)
        if _current is None:
            raise ServerGone("given up")
        address = _owned.address or address
    elif (Path(address.state_dir) / LAZY).exists():
        # A lazy server nobody wanted yet: ask the owner for it, convert this file one-shot.
        with contextlib.suppress(OSError):
            (Path(address.state_dir) / WANTED).touch()
        raise ServerGone("not started")
    with _turn(address):
        _convert(address, src, out, target, filtername, timeout)


@contextlib.contextmanager
def _turn(address: ServerAddress, wait: float = TURN_WAIT) -> Iterator[None]:
    """This process's turn at the server (an flock on its state folder, shared by the pool's
    workers and the budget's children); ServerGone ("busy": convert one-shot) when it does not
    come within `wait` seconds. The conversion's timeout starts only once the turn is ours, so
    a file queued behind others is never timed out (nor the server killed) for their work."""
    try:
        fd = os.open(Path(address.state_dir) / "turn.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as err:  # the server's folder is gone: so is the server
        raise ServerGone(str(err)) from err
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ServerGone("busy with another file") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the lock


def _convert(address: ServerAddress, src: Path, out: Path, target: str, filtername: str | None, timeout: float) -> None:
    try:
        _proxy(address.port, timeout).convert(str(src), None, str(out), target, filtername, [], True, None)  # noqa: FBT003 — unoserver's XML-RPC signature (update=True)
    except (ConnectionError, xmlrpc.client.ProtocolError, http.client.HTTPException) as err:
        raise ServerGone(str(err)) from err
    except TimeoutError:
        log.warning("warm LibreOffice took more than %.0f s; killing it", timeout)
        kill_group(_pgid(address))
        raise
    except OSError as err:
        raise ServerGone(str(err)) from err


def _pgid(address: ServerAddress) -> int:
    try:
        return int((Path(address.state_dir) / "pgid").read_text())
    except (OSError, ValueError):
        return 0


def kill_group(pgid: int) -> None:
    if pgid <= 1:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unoserver_available() -> str | None:
    """Why a warm server cannot run here, or None when it can."""
    try:
        import unoserver  # noqa: F401
    except ImportError:
        return "unoserver is not installed (uv sync)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} missing"
    check = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False)  # noqa: S603
    if check.returncode != 0:
        return f"{SYSTEM_PYTHON} has no uno module ({UNO_HINT})"
    return None


class WarmLibreOffice:
    """A unoserver process (and its soffice), restarted when it dies; a lazy one starts only
    once wanted."""

    def __init__(self, soffice: str, *, start_timeout: float = 90.0, lazy: bool = False) -> None:
        self.soffice = soffice
        self.start_timeout = start_timeout
        self.wanted = not lazy
        self.dir = Path(tempfile.mkdtemp(prefix="baocao_unoserver_"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.address: ServerAddress | None = None
        self.starts = 0
        self.ports: tuple[int, int] | None = None
        # unoserver itself for /usr/bin/python3, without the rest of our virtualenv
        import unoserver

        pkg = Path(unoserver.__file__).parent
        self.pythonpath = self.dir / "py"
        self.pythonpath.mkdir()
        (self.pythonpath / "unoserver").symlink_to(pkg)
        for info in pkg.parent.glob("unoserver-*.dist-info"):
            (self.pythonpath / info.name).symlink_to(info)

    def reserve(self) -> None:
        """Choose the ports and make this this process's server, without starting it (the
        parse pool's workers and the budget's children get the address from now on)."""
        if self.ports is None:  # a restart keeps the ports: the pool's workers know this address
            port, uno_port = _free_port(), _free_port()
            while uno_port == port:
                uno_port = _free_port()
            self.ports = (port, uno_port)
        self.address = ServerAddress(self.ports[0], str(self.dir), os.getpid())
        use_server(self.address)

    def start(self) -> None:
        """Start a server (not waiting for it: see `wait_ready`)."""
        self.reserve()
        (self.dir / LAZY).unlink(missing_ok=True)
        assert self.ports is not None
        port, uno_port = self.ports
        profile = self.dir / f"profile{self.starts}"
        self.starts += 1
        cmd = [
            SYSTEM_PYTHON, "-m", "unoserver.server", "--interface", "127.0.0.1", "--port", str(port),
            "--uno-port", str(uno_port), "--executable", self.soffice, "--user-installation", str(profile), "--quiet",
        ]
        env = dict(os.environ, PYTHONPATH=str(self.pythonpath), HOME=str(self.dir), SAL_USE_VCLPLUGIN="svp")
        env.pop("PYTHONHOME", None)
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            cmd, env=env, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        (self.dir / "pgid").write_text(str(self.proc.pid))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self) -> bool:
        """Wait until the server answers (True), or until it died or `start_timeout` passed."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and self.alive() and self.address is not None:
            try:
                _proxy(self.address.port, 10).info()
                return True
            except (OSError, xmlrpc.client.Error, http.client.HTTPException):
                time.sleep(0.2)
        return False

    def want(self) -> None:
        """A file needs LibreOffice: start the server if it is lazy and not started yet."""
        if not self.wanted:
            self.wanted = True
            log.info("a file needs LibreOffice: starting the warm instance for this batch")
            self.ensure()

    def ensure(self, *, wait: bool = False) -> None:
        """A fresh server if this one died (or was killed after a hang); a lazy one only once
        a file wants it (here, or a `wanted` mark left by a child's conversion)."""
        if not self.wanted:
            if not (self.dir / WANTED).exists():
                return
            self.want()
            return
        if not self.alive() and self.starts < MAX_STARTS:
            if self.proc is not None:
                log.warning("warm LibreOffice (pid %s) is gone; starting another", self.proc.pid)
                self._reap()
            try:
                self.start()
            except OSError as err:  # no process or no disk for its profile: files convert one-shot
                log.warning("could not start the warm LibreOffice (%s); converting one file per start", err)
                self.proc, self.starts = None, MAX_STARTS
                use_server(None)
                return
            if wait:
                self.wait_ready()
        elif not self.alive() and _current is not None:
            log.warning("warm LibreOffice died %d times; converting one file per start from now on", self.starts)
            use_server(None)

    def _reap(self) -> None:
        if self.proc is not None:
            kill_group(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        self._reap()
        use_server(None)
        shutil.rmtree(self.dir, ignore_errors=True)


def find_soffice() -> str | None:
    """The LibreOffice binary on PATH (or BAOCAO_SOFFICE), if any."""
    return os.environ.get("BAOCAO_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


@contextlib.contextmanager
def warm_libreoffice(*, wait: bool = False, lazy: bool = False) -> Iterator[WarmLibreOffice | None]:
    """One warm LibreOffice for the conversions of this block (None, and one-shot conversions,
    when it cannot run here, or when this process already has one). `lazy`: reserved now,
    started only when a file wants it (`want_for`, or a conversion that found it not started)."""
    global _owned
    if _owned is not None:
        yield None
        return
    soffice = find_soffice()
    why = "LibreOffice is not installed" if not soffice or not shutil.which(soffice) else unoserver_available()
    if why:
        log.info("no warm LibreOffice (%s): converting one file per start", why)
        yield None
        return
    assert soffice is not None  # `why` is set when it is not
    server = WarmLibreOffice(shutil.which(soffice) or soffice, lazy=lazy)
    _owned = server
    try:
        if lazy:
            (server.dir / LAZY).touch()
            server.reserve()
        else:
            server.start()
            if wait:
                server.wait_ready()
        yield server
    finally:
        _owned = None
        server.stop()


def ensure_alive() -> None:
    """Restart this process's warm server if it died, start a lazy one that a child's
    conversion asked for (a no-op without one)."""
    if _owned is not None:
        _owned.ensure()


def needs_libreoffice(name: str, content_type: str = "") -> bool:
    """Whether a file with this name (or declared type) is one LibreOffice converts — a cue
    for starting the warm instance, never how its format is decided (that is from the bytes)."""
    return Path(name.lower()).suffix in LEGACY_SUFFIXES or content_type.lower() in LEGACY_TYPES


def want_for(files: Iterable[tuple[str, str]]) -> bool:
    """Start this process's lazy warm server if one of these (name, content type) pairs needs
    LibreOffice; True when one does. A no-op without a warm server, or once it is wanted."""
    if _owned is None or _owned.wanted:
        return False
    if any(needs_libreoffice(name, ctype) for name, ctype in files):
        _owned.want()
        return True
    return False
