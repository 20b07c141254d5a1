"""The official mailbox over IMAP (imap-tools): incremental, never marks seen, never deletes.

- The folder is looked at with STATUS (UIDVALIDITY, UIDNEXT) and SELECTed only when there is
  something to fetch or flag: SELECT of a big folder costs time proportional to its size
  (Dovecot: ~0.4 s at 100,000 messages), STATUS does not, so an idle poll stays cheap however
  many years of mail the folder holds.
- Capabilities are re-read after login before a move (only `ack=move` needs them, so a poll
  that only looks sends no second CAPABILITY after the one imaplib sends on connecting): Dovecot announces MOVE only then, and
  without it imap-tools' `move()` falls back to COPY + \\Deleted + EXPUNGE, which expunges
  other messages.
- Our keyword is one UID STORE +FLAGS.SILENT (imap-tools' `flag()` adds an EXPUNGE). A run
  that set it ends with UNSELECT + STATUS before LOGOUT: Dovecot's mailbox list index then
  answers the next poll's STATUS INBOX without opening INBOX (`_refresh_status`).
- `U(last+1, '*')` always matches the highest message even when its UID is lower: filter.
- imap-tools does not expose INTERNALDATE, so the body fetch is a UID FETCH on its client, in
  bulk as imap-tools' `fetch(bulk=N)` does: one command per chunk of messages, the chunks cut
  by count and by the sizes the server reports (RFC822.SIZE), so memory stays bounded.
- SEARCH uses only UIDs, a keyword and a date (ASCII atoms), without a CHARSET argument some
  servers refuse; never a subject or a name.
- A server that refuses for a while (rate limit, too many connections, [LIMIT], [INUSE],
  [UNAVAILABLE], Gmail's throttling) is retried after a short back-off; if it still refuses,
  `MailboxBusy` ends the poll cleanly and the next run starts where this one stopped.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import MailboxLoginError

from config.settings import ImapSettings
from flows.adapters.tls import client_tls_context
from flows.errors import FlowsError

log = logging.getLogger(__name__)
# Seconds to wait before each new try when the server refuses for a while.
BACKOFF = (2.0, 8.0)
_REFUSAL = re.compile(
    r"\[(?:LIMIT|INUSE|UNAVAILABLE|THROTTLED|OVERQUOTA)\]|too many|maximum number of connections|"
    r"rate limit|try again later|exceeded|temporar|bandwidth limits|throttl",
    re.IGNORECASE,
)
_ATOM = re.compile(r"^[A-Za-z0-9$_.-]+$")


class MailboxError(FlowsError):
    """The mailbox cannot be reached or refused a command (the run fails, nothing is lost)."""


class MailboxBusy(MailboxError):
    """The server refuses for now (rate limit, too many connections): back off, next run."""


def is_refusal(err: BaseException) -> bool:
    """Whether an IMAP error says "not now" rather than "never"."""
    return bool(_REFUSAL.search(str(err)))


def with_backoff(action: Callable[[], object], what: str, delays: tuple[float, ...] | None = None) -> object:
    """Run `action`; on a temporary refusal wait and try again, then raise MailboxBusy."""
    delays = BACKOFF if delays is None else delays
    for attempt in range(len(delays) + 1):
        try:
            return action()
        except (imaplib.IMAP4.error, MailboxLoginError, OSError) as err:
            if not is_refusal(err):
                raise
            if attempt == len(delays):
                raise MailboxBusy(
                    f"máy chủ thư tạm từ chối {what} ({_short(err)}); đã chờ và thử lại {attempt} lần,"
                    " sẽ thử tiếp ở lần chạy sau"
                ) from err
            log.warning("IMAP server refused %s (%s); retrying in %.0f s", what, err, delays[attempt])
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def _short(err: BaseException) -> str:
    """The server's own words, without Python's quoting."""
    text = str(err)
    result = getattr(err, "command_result", None)
    if isinstance(result, tuple) and len(result) == 2:
        text = " ".join(x.decode(errors="replace") if isinstance(x, bytes) else str(x) for x in result[1] or [])
    return " ".join(text.split())[:200]


def uid_set(uids: list[int]) -> str:
    """An IMAP sequence set with runs collapsed ("1:500,502,510:512"): short command lines."""
    parts: list[str] = []
    start = prev = None
    for uid in sorted(uids):
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if start is not None:
            parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


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
        self.selected = False
        self.capabilities_read = False
        self.missing: list[int] = []  # UIDs asked for that the server no longer had
        # Our keyword was set in this session: `close` then refreshes the server's view of
        # the folder (see `_refresh_status`), so the next poll's STATUS stays cheap.
        self.flags_changed = False

    @property
    def key(self) -> str:
        """The ledger's name for this folder: user@host/folder."""
        s = self.settings
        return f"{s.user}@{s.host}/{s.folder}"

    def open(self) -> ImapSource:
        """Connect, log in and read the folder's UIDVALIDITY and UIDNEXT (STATUS); a server
        that refuses for now is retried after a back-off, then MailboxBusy."""
        with_backoff(self._open, "kết nối")
        return self

    def _open(self) -> None:
        s = self.settings
        port = s.effective_port
        box: BaseMailBox | None = None
        try:
            if s.security == "ssl":
                box = MailBox(s.host or "", port, timeout=self.timeout, ssl_context=client_tls_context(verify=s.verify_tls))
            elif s.security == "starttls":
                box = MailBoxStartTls(s.host or "", port, timeout=self.timeout, ssl_context=client_tls_context(verify=s.verify_tls))
            else:
                box = MailBoxUnencrypted(s.host or "", port, timeout=self.timeout)
            box.client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert s.password is not None
            box.login(s.user or "", s.password.get_secret_value(), initial_folder=None)
            status = box.folder.status(s.folder, ["UIDVALIDITY", "UIDNEXT"])
            validity, uidnext = status["UIDVALIDITY"], status.get("UIDNEXT", 0)
        except MailboxLoginError as err:
            _drop(box)
            if is_refusal(err):
                raise
            raise MailboxError(f"đăng nhập hộp thư {s.user}@{s.host} bị từ chối") from err
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as err:
            _drop(box)
            if is_refusal(err):
                raise
            raise MailboxError(f"không kết nối được hộp thư {s.host}:{port}: {err}") from err
        self.box = box
        self.capabilities_read = False
        self.uidvalidity = int(validity)
        self.uidnext = int(uidnext or 0)

    def select(self) -> None:
        """SELECT the folder (read-write) once, before the first command that needs it."""
        assert self.box is not None
        if self.selected:
            return
        box = self.box
        try:
            with_backoff(lambda: box.folder.set(self.settings.folder), "mở thư mục")
        except imaplib.IMAP4.error as err:
            raise MailboxError(f"không mở được thư mục {self.settings.folder}: {err}") from err
        validity = box.client.response("UIDVALIDITY")[1][-1]
        if validity is not None and int(validity) != self.uidvalidity:
            raise MailboxError("UIDVALIDITY của hộp thư vừa đổi giữa chừng: lần chạy sau sẽ đồng bộ lại")
        self.selected = True

    def close(self) -> None:
        """Log out (errors ignored: the work is already committed); after setting our keyword,
        leave the folder and ask its STATUS first (`_refresh_status`)."""
        if self.box is not None:
            if self.flags_changed and self.selected:
                self._refresh_status()
            try:
                self.box.logout()
            except Exception:  # a dropped connection at logout changes nothing
                log.debug("logout failed", exc_info=True)
            self.box = None

    def _refresh_status(self) -> None:
        """UNSELECT, then STATUS of the folder, on the connection that set our keyword.

        Dovecot answers STATUS INBOX from its mailbox list index (with
        `mailbox_list_index_include_inbox = yes`, as README recommends) only while the list
        index record is as new as INBOX's own index. A keyword changes INBOX's index but not
        its counts, and closing the folder does not refresh that record: without this, the
        next connection's STATUS opens INBOX's index (3.6 MB at 100,000 messages: ~9 ms) once.
        Here the index is still in this process's memory, so the STATUS costs ~0.2 ms and
        writes the record (docs/benchmarks.md). Read-only: nothing the next poll sees can be
        hidden by it. Only after flags changed (an idle poll never SELECTs); a server without
        UNSELECT (RFC 3691) answers BAD and the poll goes on without it; errors are ignored."""
        assert self.box is not None
        box = self.box
        try:
            box.client.unselect()
            self.selected = False
            box.folder.status(self.settings.folder, ["UIDVALIDITY", "UIDNEXT"])
        except Exception:  # noqa: BLE001 — an optimisation only: the work is committed
            log.debug("refreshing the folder's status failed", exc_info=True)

    def __enter__(self) -> ImapSource:
        return self if self.box is not None else self.open()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def new_uids(self, last_uid: int, since: dt.date | None = None) -> list[int]:
        """UIDs above `last_uid` not yet acknowledged, ascending; `since` (an INTERNALDATE
        day) bounds the first poll of a mailbox that already holds years of mail."""
        assert self.box is not None
        if self.uidnext and self.uidnext <= last_uid + 1:
            return []  # nothing arrived since: no SEARCH at all
        self.select()
        criteria = search_criteria(last_uid, self.settings.ack_flag if self.settings.ack == "flag" else None, since if last_uid == 0 else None)
        box = self.box
        try:
            found = with_backoff(lambda: box.uids(criteria, charset=None), "tìm thư mới")
        except (imaplib.IMAP4.error, OSError) as err:
            raise MailboxError(f"tìm thư mới thất bại: {err}") from err
        return sorted(u for u in (int(x) for x in found) if u > last_uid)  # type: ignore[attr-defined]

    def fetch(self, uids: list[int]) -> Iterator[FetchedMail]:
        """Raw messages with INTERNALDATE, without setting \\Seen (BODY.PEEK), in UID order."""
        for chunk in self.fetch_chunks(uids):
            yield from chunk

    def fetch_chunks(self, uids: list[int], sizes: dict[int, int] | None = None) -> Iterator[list[FetchedMail]]:
        """The messages in chunks, each one UID FETCH (see `chunk_uids`); `sizes`: the
        messages' RFC822.SIZE if the caller already asked for them (`sizes`)."""
        assert self.box is not None
        if not uids:
            return
        self.select()
        sizes = self.sizes(uids) if sizes is None else sizes
        for chunk in chunk_uids(uids, sizes, self.settings.fetch_chunk, self.settings.fetch_chunk_bytes):
            data = self._uid_fetch(uid_set(chunk), "(UID INTERNALDATE BODY.PEEK[])", "tải thư")
            found = {m.uid: m for m in _parse_fetch(data)}
            gone = [uid for uid in chunk if uid not in found]
            if gone:  # expunged since the SEARCH (another client deleted them): said, not hidden
                log.warning("server returned no message for UID %s", uid_set(gone))
                self.missing.extend(gone)
            yield [found[uid] for uid in chunk if uid in found]

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each message (one small FETCH for all of them)."""
        if not uids:
            return {}
        self.select()
        data = self._uid_fetch(uid_set(uids), "(UID RFC822.SIZE)", "đọc kích thước thư")
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _UID_RE.search(line), _SIZE_RE.search(line)
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _uid_fetch(self, uids: str, parts: str, what: str) -> list[object]:
        assert self.box is not None
        client = self.box.client

        def run() -> list[object]:
            typ, data = client.uid("FETCH", uids, parts)
            if typ != "OK":
                raise imaplib.IMAP4.error(f"{what} thất bại: {data!r}")
            return list(data)

        try:
            return with_backoff(run, what)  # type: ignore[return-value]
        except (imaplib.IMAP4.abort, OSError) as err:
            # The server or the network cut the connection mid-FETCH: what is committed
            # stays, the next run starts from the first message not committed.
            first = uids.split(",", 1)[0].split(":", 1)[0]
            raise MailboxError(f"mất kết nối với hộp thư {self.settings.host} khi {what} (UID {first}…): {err}") from err
        except imaplib.IMAP4.error as err:
            raise MailboxError(str(err)) from err

    def mark_done(self, uids: list[int]) -> None:
        """Flag or move the messages (never delete); the database already holds them."""
        assert self.box is not None
        if not uids:
            return
        self.select()
        s = self.settings
        uid_list = [str(u) for u in uids]
        if s.ack == "flag":
            self._store_keyword(uids)
            return
        self._refresh_capabilities()
        if "MOVE" not in self.box.client.capabilities:
            raise MailboxError("máy chủ không hỗ trợ MOVE: hãy dùng BAOCAO_IMAP__ACK=flag")
        folder = self._ack_folder()
        if not self.box.folder.exists(folder):
            self.box.folder.create(folder)
        self.box.move(uid_list, folder)

    def _store_keyword(self, uids: list[int]) -> None:
        """UID STORE +FLAGS.SILENT of our keyword: one command, nothing else. (imap-tools'
        `flag()` sends EXPUNGE after its STORE, which would delete every message someone else
        marked \\Deleted in the folder; .SILENT spares the server one FETCH reply a message.)"""
        assert self.box is not None
        client = self.box.client
        keyword = self.settings.ack_flag
        if not _ATOM.match(keyword):
            raise MailboxError(f"từ khóa đánh dấu thư không hợp lệ (chỉ chữ cái, số, . _ -): {keyword!r}")
        try:
            typ, data = client.uid("STORE", uid_set(uids), "+FLAGS.SILENT", f"({keyword})")
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as err:
            raise MailboxError(f"đánh dấu thư thất bại: {err}") from err
        if typ != "OK":
            raise MailboxError(f"đánh dấu thư thất bại: {data!r}")
        self.flags_changed = True

    def _refresh_capabilities(self) -> None:
        """The capabilities as announced after login (the greeting's are the pre-login ones)."""
        assert self.box is not None
        if self.capabilities_read:
            return
        client = self.box.client
        try:
            typ, data = client.capability()
        except (imaplib.IMAP4.error, OSError) as err:
            raise MailboxError(f"không đọc được khả năng của máy chủ thư: {err}") from err
        if typ == "OK" and data and data[-1]:
            client.capabilities = tuple(data[-1].decode().upper().split())
        self.capabilities_read = True

    def _ack_folder(self) -> str:
        """The configured folder with '/' replaced by the server's hierarchy delimiter."""
        assert self.box is not None
        folders = self.box.folder.list()
        delim = folders[0].delim if folders and folders[0].delim else "/"
        return self.settings.ack_folder.replace("/", delim)


_UID_RE = re.compile(rb"UID (\d+)")
_SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")
_DATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')


def search_criteria(last_uid: int, no_keyword: str | None, since: dt.date | None) -> str:
    """The SEARCH of new mail: a UID range, our keyword absent, arrived on or after a day.
    Only ASCII atoms: a non-ASCII criterion would need a CHARSET many servers refuse."""
    terms: dict[str, object] = {"uid": U(last_uid + 1, "*")}
    if no_keyword is not None:
        if not _ATOM.match(no_keyword):
            raise MailboxError(f"từ khóa đánh dấu thư không hợp lệ (chỉ chữ cái, số, . _ -): {no_keyword!r}")
        terms["no_keyword"] = no_keyword
    if since is not None:
        terms["date_gte"] = since
    criteria = str(AND(**terms))  # type: ignore[arg-type]
    criteria.encode("ascii")  # never anything else
    return criteria


def chunk_uids(uids: list[int], sizes: dict[int, int], count: int, max_bytes: int) -> Iterator[list[int]]:
    """UIDs in order, cut every `count` messages or before `max_bytes` would be passed (a
    message bigger than that alone is a chunk of its own)."""
    chunk: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if chunk and (len(chunk) >= count or total + size > max_bytes):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    if chunk:
        yield chunk


def _drop(box: BaseMailBox | None) -> None:
    """Close a half-open connection (after a refusal) without raising."""
    if box is None:
        return
    try:
        box.client.shutdown()
    except Exception:  # noqa: BLE001 — it is already broken
        log.debug("shutdown failed", exc_info=True)


def _parse_fetch(data: list[object]) -> Iterator[FetchedMail]:
    """The messages of a UID FETCH response. imaplib gives each message as (the response up
    to its literal, the literal) followed by the bytes after the literal: most servers send
    UID and INTERNALDATE before the body, Exchange and mail.ru after it — both are read. A
    literal whose UID is in neither part is a response this client does not understand: it
    raises rather than drop the message (a first pass would move past it for good)."""
    for i, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        head, body = item[0], item[1]
        following = data[i + 1] if i + 1 < len(data) else b""
        tail = following if isinstance(following, bytes) else b""
        uid = _UID_RE.search(head) or _UID_RE.search(tail)
        if not uid:
            shown = bytes(head[:120]).decode("ascii", "replace")
            raise MailboxError(f"máy chủ thư trả về một thư không kèm UID (phản hồi FETCH lạ: {shown!r}); không thư nào bị bỏ qua, lần chạy sau thử lại")
        yield FetchedMail(int(uid.group(1)), bytes(body), _internaldate(head) or _internaldate(tail))


def _internaldate(head: bytes) -> dt.datetime | None:
    found = _DATE_RE.search(head)
    if not found:
        return None
    try:
        return dt.datetime.strptime(found.group(1).decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(dt.UTC)
    except ValueError:
        return None
