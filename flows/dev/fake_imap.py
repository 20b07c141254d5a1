"""A tiny in-memory IMAP server for the demo on machines without Dovecot. Demo only.

It speaks the part of IMAP4rev1 that baocao's poller uses — LOGIN, CAPABILITY, LIST, STATUS,
SELECT/EXAMINE, UID SEARCH (UID ranges, KEYWORD/UNKEYWORD, SINCE/BEFORE/ON, ALL), UID FETCH (UID, FLAGS,
INTERNALDATE, BODY.PEEK[]/BODY[]/RFC822), UID STORE ±FLAGS, NOOP, LOGOUT — for one user and one
INBOX held in memory. Tests and production use a real server (Dovecot); see flows/dev/dovecot.py.
Same surface as `DovecotServer`: host, port, user, password, append(), settings(), a context
manager.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import re
import socketserver
import threading
from dataclasses import dataclass, field
from types import TracebackType

from config.settings import ImapSettings
from flows.dev.dovecot import local_imap_settings


@dataclass
class _Message:
    uid: int
    raw: bytes
    date: dt.datetime
    flags: set[str] = field(default_factory=set)


@dataclass
class _Store:
    user: str
    password: str
    uidvalidity: int = 1
    messages: list[_Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Exchange and mail.ru answer a FETCH with the body first, UID and FLAGS after it.
    body_first: bool = False

    @property
    def uidnext(self) -> int:
        return (self.messages[-1].uid + 1) if self.messages else 1


_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_ATOM = re.compile(r'"((?:[^"\\]|\\.)*)"|\(|\)|[^\s()]+')


def _tokens(text: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(0) for m in _ATOM.finditer(text)]


def _in_set(uid: int, spec: str, highest: int) -> bool:
    """Is `uid` in an IMAP sequence set such as '5:*,7,9:12'? ('*' is the highest UID)."""
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        a = highest if lo == "*" else int(lo)
        b = a if not hi else (highest if hi == "*" else int(hi))
        if min(a, b) <= uid <= max(a, b):
            return True
    return False


class _Handler(socketserver.StreamRequestHandler):
    store: _Store

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def read_command(self) -> str | None:
        line = self.rfile.readline()
        if not line:
            return None
        while (m := _LITERAL.search(line)) is not None:
            self.send("+ Ready")
            literal = self.rfile.read(int(m.group(1)))
            line = line[: m.start()] + b'"' + literal.replace(b'"', b'\\"') + b'"' + self.rfile.readline()
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self) -> None:
        self.authed = False
        self.send("* OK baocao demo IMAP ready")
        while (line := self.read_command()) is not None:
            tag, _, rest = line.partition(" ")
            cmd, _, args = rest.partition(" ")
            try:
                if not self.dispatch(tag, cmd.upper(), args):
                    return
            except Exception as err:  # noqa: BLE001 — a demo server answers BAD rather than dropping the link
                self.send(f"{tag} BAD {type(err).__name__}")

    def dispatch(self, tag: str, cmd: str, args: str) -> bool:
        s = self.store
        if cmd == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1 UIDPLUS AUTH=PLAIN")
        elif cmd == "LOGIN":
            user, password = _tokens(args)[:2]
            if (user, password) != (s.user, s.password):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.")
                return True
            self.authed = True
        elif cmd == "LOGOUT":
            self.send("* BYE Logging out")
            self.send(f"{tag} OK Logout completed.")
            return False
        elif not self.authed and cmd not in ("NOOP",):
            self.send(f"{tag} NO Log in first.")
            return True
        elif cmd == "LIST":
            self.send('* LIST (\\HasNoChildren) "/" INBOX')
        elif cmd == "STATUS":
            self.send(f"* STATUS INBOX (UIDVALIDITY {s.uidvalidity} UIDNEXT {s.uidnext} MESSAGES {len(s.messages)})")
        elif cmd in ("SELECT", "EXAMINE"):
            self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
            self.send(f"* {len(s.messages)} EXISTS")
            self.send("* 0 RECENT")
            self.send(f"* OK [UIDVALIDITY {s.uidvalidity}] UIDs valid")
            self.send(f"* OK [UIDNEXT {s.uidnext}] Predicted next UID")
            mode = "READ-ONLY" if cmd == "EXAMINE" else "READ-WRITE"
            self.send(f"{tag} OK [{mode}] {cmd} completed.")
            return True
        elif cmd == "UID":
            sub, _, rest = args.partition(" ")
            getattr(self, f"uid_{sub.lower()}")(rest)
        elif cmd not in ("NOOP", "CHECK", "CLOSE", "EXPUNGE", "CREATE", "SUBSCRIBE", "UNSELECT"):
            self.send(f"{tag} BAD Not supported by the demo server.")
            return True
        self.send(f"{tag} OK {cmd} completed.")
        return True

    def uid_search(self, args: str) -> None:
        toks = [t for t in _tokens(args) if t not in ("(", ")")]
        if toks[:1] and toks[0].upper() == "CHARSET":
            toks = toks[2:]
        with self.store.lock:
            msgs = list(self.store.messages)
        highest = msgs[-1].uid if msgs else 0
        i = 0
        while i < len(toks):
            key = toks[i].upper()
            if key == "UID":
                spec = toks[i + 1]
                msgs = [m for m in msgs if _in_set(m.uid, spec, highest)]
                i += 2
            elif key in ("KEYWORD", "UNKEYWORD"):
                flag, want = toks[i + 1], key == "KEYWORD"
                msgs = [m for m in msgs if (flag in m.flags) == want]
                i += 2
            elif key in ("SINCE", "BEFORE", "ON"):
                day = dt.datetime.strptime(toks[i + 1], "%d-%b-%Y").date()
                test = {"SINCE": day.__le__, "BEFORE": day.__gt__, "ON": day.__eq__}[key]
                msgs = [m for m in msgs if test(m.date.date())]
                i += 2
            elif key == "ALL":
                i += 1
            else:
                raise ValueError(f"search key {key}")
        self.send("* SEARCH " + " ".join(str(m.uid) for m in msgs))

    def uid_fetch(self, args: str) -> None:
        spec, _, _items = args.partition(" ")
        with self.store.lock:
            msgs = list(enumerate(self.store.messages, start=1))
        highest = msgs[-1][1].uid if msgs else 0
        for seq, m in msgs:
            if not _in_set(m.uid, spec, highest):
                continue
            if "BODY" not in _items.upper():  # (UID RFC822.SIZE): sizes only
                self.send(f"* {seq} FETCH (UID {m.uid} RFC822.SIZE {len(m.raw)})")
                continue
            date = imaplib.Time2Internaldate(m.date.timestamp())
            flags = " ".join(sorted(m.flags))
            if self.store.body_first:
                head = f"* {seq} FETCH (INTERNALDATE {date} BODY[] {{{len(m.raw)}}}\r\n"
                self.wfile.write(head.encode() + m.raw + f" UID {m.uid} FLAGS ({flags}))\r\n".encode())
                continue
            head = f"* {seq} FETCH (UID {m.uid} FLAGS ({flags}) INTERNALDATE {date} BODY[] {{{len(m.raw)}}}\r\n"
            self.wfile.write(head.encode() + m.raw + b")\r\n")

    def uid_store(self, args: str) -> None:
        toks = [t for t in _tokens(args) if t not in ("(", ")")]
        spec, action, flags = toks[0], toks[1].upper(), set(toks[2:])
        with self.store.lock:
            highest = self.store.messages[-1].uid if self.store.messages else 0
            for seq, m in enumerate(self.store.messages, start=1):
                if not _in_set(m.uid, spec, highest):
                    continue
                if action.startswith("+"):
                    m.flags |= flags
                elif action.startswith("-"):
                    m.flags -= flags
                else:
                    m.flags = set(flags)
                if ".SILENT" not in action:
                    self.send(f"* {seq} FETCH (UID {m.uid} FLAGS ({' '.join(sorted(m.flags))}))")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class DemoImapServer:
    """The in-memory server on 127.0.0.1 and a free port (context manager)."""

    def __init__(self, user: str = "baocao", password: str = "matkhau-demo", *, body_first: bool = False) -> None:
        self.user, self.password = user, password
        self.host = "127.0.0.1"
        self.store = _Store(user, password, body_first=body_first)
        handler = type("Handler", (_Handler,), {"store": self.store})
        self._server = _Server((self.host, 0), handler)
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> DemoImapServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-imap", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoImapServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = (), date: dt.datetime | None = None) -> None:
        """Add a message to the INBOX (the next UID), as a mail server would deliver it."""
        with self.store.lock:
            uid = self.store.uidnext
            self.store.messages.append(_Message(uid, raw, date or dt.datetime.now(dt.UTC), set(flags)))

    def settings(self, **overrides: object) -> ImapSettings:
        """ImapSettings pointing at this server (plaintext on 127.0.0.1)."""
        return local_imap_settings(self, **overrides)
