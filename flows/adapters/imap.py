"""The official mailbox over IMAP (imap-tools): incremental, never marks seen, never deletes.

- Capabilities are re-read after login: Dovecot announces MOVE only then, and without it
  imap-tools' `move()` falls back to COPY + \\Deleted + EXPUNGE, which expunges other messages.
- `U(last+1, '*')` always matches the highest message even when its UID is lower: filter.
- imap-tools does not expose INTERNALDATE, so the body fetch is one UID FETCH on its client.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import MailboxLoginError

from config.settings import ImapSettings
from flows.adapters.tls import client_tls_context
from flows.errors import FlowsError

log = logging.getLogger(__name__)
FETCH_CHUNK = 20


class MailboxError(FlowsError):
    """The mailbox cannot be reached or refused a command (the run fails, nothing is lost)."""


@dataclass
class FetchedMail:
    """One message as the server holds it."""

    uid: int
    raw: bytes
    internal_date: dt.datetime | None


class ImapSource:
    """One folder of the official mailbox, opened for a polling cycle."""

    def __init__(self, settings: ImapSettings, timeout: float = 60.0) -> None:
        if not settings.host or not settings.user or settings.password is None:
            raise MailboxError("chưa cấu hình hộp thư (BAOCAO_IMAP__HOST, __USER, __PASSWORD)")
        self.settings = settings
        self.timeout = timeout
        self.box: BaseMailBox | None = None
        self.uidvalidity = 0
        self.uidnext = 0

    @property
    def key(self) -> str:
        """The ledger's name for this folder: user@host/folder."""
        s = self.settings
        return f"{s.user}@{s.host}/{s.folder}"

    def open(self) -> ImapSource:
        """Connect, log in, refresh capabilities and select the folder (read-write)."""
        s = self.settings
        port = s.effective_port
        try:
            if s.security == "ssl":
                box: BaseMailBox = MailBox(s.host or "", port, timeout=self.timeout, ssl_context=client_tls_context(verify=s.verify_tls))
            elif s.security == "starttls":
                box = MailBoxStartTls(s.host or "", port, timeout=self.timeout, ssl_context=client_tls_context(verify=s.verify_tls))
            else:
                box = MailBoxUnencrypted(s.host or "", port, timeout=self.timeout)
            box.client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert s.password is not None
            box.login(s.user or "", s.password.get_secret_value(), initial_folder=None)
            typ, data = box.client.capability()
            if typ == "OK" and data and data[-1]:
                box.client.capabilities = tuple(data[-1].decode().upper().split())
            box.folder.set(s.folder)
            # SELECT's untagged response codes carry both (no separate STATUS round trip).
            validity = box.client.response("UIDVALIDITY")[1][-1]
            uidnext = box.client.response("UIDNEXT")[1][-1]
            if validity is None:
                status = box.folder.status(s.folder, ["UIDVALIDITY", "UIDNEXT"])
                validity, uidnext = status["UIDVALIDITY"], status.get("UIDNEXT", 0)
        except MailboxLoginError as err:
            raise MailboxError(f"đăng nhập hộp thư {s.user}@{s.host} bị từ chối") from err
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as err:
            raise MailboxError(f"không kết nối được hộp thư {s.host}:{port}: {err}") from err
        self.box = box
        self.uidvalidity = int(validity)
        self.uidnext = int(uidnext or 0)
        return self

    def close(self) -> None:
        """Log out (errors ignored: the work is already committed)."""
        if self.box is not None:
            try:
                self.box.logout()
            except Exception:  # a dropped connection at logout changes nothing
                log.debug("logout failed", exc_info=True)
            self.box = None

    def __enter__(self) -> ImapSource:
        return self.open()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def new_uids(self, last_uid: int, since: dt.date | None = None) -> list[int]:
        """UIDs above `last_uid` not yet acknowledged, ascending; `since` (an INTERNALDATE
        day) bounds the first poll of a mailbox that already holds years of mail."""
        assert self.box is not None
        if self.uidnext and self.uidnext <= last_uid + 1:
            return []  # nothing arrived since: no SEARCH at all
        terms: dict[str, object] = {"uid": U(last_uid + 1, "*")}
        if self.settings.ack == "flag":
            terms["no_keyword"] = self.settings.ack_flag
        if since is not None and last_uid == 0:
            terms["date_gte"] = since
        criteria = AND(**terms)  # type: ignore[arg-type]
        try:
            found = self.box.uids(criteria)
        except imaplib.IMAP4.error as err:
            raise MailboxError(f"tìm thư mới thất bại: {err}") from err
        return sorted(u for u in (int(x) for x in found) if u > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[FetchedMail]:
        """Raw messages with INTERNALDATE, without setting \\Seen (BODY.PEEK)."""
        assert self.box is not None
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            try:
                typ, data = self.box.client.uid("FETCH", ",".join(map(str, chunk)), "(UID INTERNALDATE BODY.PEEK[])")
            except (imaplib.IMAP4.abort, OSError) as err:
                # The server or the network cut the connection mid-FETCH: what is committed
                # stays, the next run starts from the first message not committed.
                raise MailboxError(f"mất kết nối với hộp thư {self.settings.host} khi đang tải thư (UID {chunk[0]}…): {err}") from err
            except imaplib.IMAP4.error as err:
                raise MailboxError(f"tải thư thất bại: {err}") from err
            if typ != "OK":
                raise MailboxError(f"tải thư thất bại: {data!r}")
            found = {m.uid: m for m in _parse_fetch(data)}
            for uid in chunk:
                if uid in found:
                    yield found[uid]

    def mark_done(self, uids: list[int]) -> None:
        """Flag or move the messages (never delete); the database already holds them."""
        assert self.box is not None
        if not uids:
            return
        s = self.settings
        uid_list = [str(u) for u in uids]
        if s.ack == "flag":
            self.box.flag(uid_list, s.ack_flag, True)
            return
        if "MOVE" not in self.box.client.capabilities:
            raise MailboxError("máy chủ không hỗ trợ MOVE: hãy dùng BAOCAO_IMAP__ACK=flag")
        folder = self._ack_folder()
        if not self.box.folder.exists(folder):
            self.box.folder.create(folder)
        self.box.move(uid_list, folder)

    def _ack_folder(self) -> str:
        """The configured folder with '/' replaced by the server's hierarchy delimiter."""
        assert self.box is not None
        folders = self.box.folder.list()
        delim = folders[0].delim if folders and folders[0].delim else "/"
        return self.settings.ack_folder.replace("/", delim)


_UID_RE = re.compile(rb"UID (\d+)")
_DATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')


def _parse_fetch(data: list[object]) -> Iterator[FetchedMail]:
    for item in data:
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        head, body = item[0], item[1]
        uid = _UID_RE.search(head)
        if not uid:
            continue
        yield FetchedMail(int(uid.group(1)), bytes(body), _internaldate(head))


def _internaldate(head: bytes) -> dt.datetime | None:
    found = _DATE_RE.search(head)
    if not found:
        return None
    try:
        return dt.datetime.strptime(found.group(1).decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(dt.UTC)
    except ValueError:
        return None
