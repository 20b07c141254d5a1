"""What an idle poll costs Dovecot, command by command: 100,000 messages in INBOX vs 10.

An idle poll is connect (with imaplib's CAPABILITY), LOGIN, STATUS INBOX (UIDVALIDITY UIDNEXT)
and LOGOUT (flows/adapters/imap.py). Each round first changes both INBOXes as an ingest of one
reply does (another connection APPENDs a message, SELECTs and sets our keyword on it; with
"refresh", that connection then sends UNSELECT and STATUS INBOX before its LOGOUT, as
ImapSource does after setting keywords — the "refresh" step is what that costs the ingest),
then polls each server POLLS times, timing every step. Run under Dovecot's defaults and with
`mailbox_list_index_include_inbox = yes` (README's recommendation), mdbox storage, in the same
run; the ratio is the 100,000-message time over the 10-message one.

Usage: .venv/bin/python bench/bench_imap_status.py [BIG]   (default 100000)
"""

from __future__ import annotations

import imaplib
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.dev.dovecot import DovecotServer  # noqa: E402

BIG = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
ROUNDS, POLLS = 15, 3
# label: (extra dovecot.conf, whether the changing connection refreshes the status)
CONFIGS = {
    "Dovecot defaults": ("mailbox_list_index_include_inbox = no", False),
    "defaults + refresh": ("mailbox_list_index_include_inbox = no", True),
    "include_inbox = yes": ("", False),  # DovecotServer's own config, as README recommends
    "include_inbox+refresh": ("", True),
}
STEPS = ("connect", "LOGIN", "STATUS", "LOGOUT")


def filler(i: int) -> bytes:
    return (
        f"From: nguoi{i % 97}@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\n"
        f"Subject: Thu cu so {i}\r\nMessage-ID: <cu-{i}@congty.example>\r\n\r\nNoi dung {i}.\r\n"
    ).encode()


def change(server: DovecotServer, i: int, *, refresh: bool) -> float:
    """What one ingest does to INBOX: a new message arrives, we set our keyword on it (and,
    with `refresh`, leave INBOX and ask its STATUS); the seconds the refresh took."""
    conn = server.client()
    conn.append("INBOX", None, None, filler(10_000_000 + i))
    conn.select("INBOX")
    _, data = conn.uid("SEARCH", None, "UID", "*")  # type: ignore[arg-type]
    conn.uid("STORE", data[0].split()[-1].decode(), "+FLAGS.SILENT", "(BaocaoProcessed)")
    start = time.perf_counter()
    if refresh:
        conn.unselect()
        typ, _ = conn.status("INBOX", "(UIDVALIDITY UIDNEXT)")
        assert typ == "OK"
    took = time.perf_counter() - start
    conn.logout()
    return took


def poll(server: DovecotServer) -> dict[str, float]:
    took: dict[str, float] = {}
    start = time.perf_counter()
    conn = imaplib.IMAP4(server.host, server.port)
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    took["connect"], start = time.perf_counter() - start, time.perf_counter()
    conn.login(server.user, server.password)
    took["LOGIN"], start = time.perf_counter() - start, time.perf_counter()
    typ, _ = conn.status("INBOX", "(UIDVALIDITY UIDNEXT)")
    assert typ == "OK"
    took["STATUS"], start = time.perf_counter() - start, time.perf_counter()
    conn.logout()
    took["LOGOUT"] = time.perf_counter() - start
    took["total"] = sum(took.values())
    return took


def main() -> None:
    results: dict[tuple[str, str, str, str], list[float]] = {}
    for label, (extra, refresh) in CONFIGS.items():
        with DovecotServer(mail_format="mdbox", extra_config=extra) as small, DovecotServer(mail_format="mdbox", extra_config=extra) as big:
            big.seed([filler(i) for i in range(BIG)])
            small.seed([filler(i) for i in range(10)])
            for server in (small, big):
                poll(server)
            for i in range(ROUNDS):
                for size, server in (("10", small), ("big", big)):
                    results.setdefault((label, "ingest", "refresh", size), []).append(change(server, i, refresh=refresh))
                    for n in range(POLLS):
                        when = "first poll after the change" if n == 0 else "later polls"
                        for step, seconds in poll(server).items():
                            results.setdefault((label, when, step, size), []).append(seconds)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"mdbox, {BIG:,} vs 10 messages; medians of {ROUNDS} rounds; load average {' '.join(load)}")  # noqa: T201
    print(f"{'configuration':<21} {'poll':<28} {'step':<8} {'10':>8} {f'{BIG:,}':>9} {'ratio':>6}")  # noqa: T201
    for label, (_, refresh) in CONFIGS.items():
        if refresh:
            s = statistics.median(results[(label, "ingest", "refresh", "10")]) * 1000
            b = statistics.median(results[(label, "ingest", "refresh", "big")]) * 1000
            print(f"{label:<21} {'in the changing connection':<28} {'refresh':<8} {s:>6.2f}ms {b:>7.2f}ms {b / s:>6.2f}")  # noqa: T201
        for when in ("first poll after the change", "later polls"):
            for step in (*STEPS, "total"):
                s = statistics.median(results[(label, when, step, "10")]) * 1000
                b = statistics.median(results[(label, when, step, "big")]) * 1000
                print(f"{label:<21} {when:<28} {step:<8} {s:>6.2f}ms {b:>7.2f}ms {b / s:>6.2f}")  # noqa: T201


if __name__ == "__main__":
    main()
