"""A TCP proxy that cuts the connection in the middle of an IMAP FETCH, for fault tests:
everything passes through until the client sends a FETCH of message bodies; after `after`
bytes of the server's answer both sockets are closed (as a server restart, a NAT timeout
or a dropped link would)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class CuttingProxy:
    """127.0.0.1:port → target; cuts the `nth` body FETCH after `after` bytes of its answer."""

    def __init__(self, target: tuple[str, int], *, after: int = 2048, nth: int = 1) -> None:
        self.target, self.after, self.nth = target, after, nth
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.host = "127.0.0.1"
        self.cuts = 0
        self._fetches = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def __enter__(self) -> CuttingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        armed = threading.Event()

        def upstream() -> None:
            while data := _recv(client):
                if b"FETCH" in data.upper() and b"BODY" in data.upper():
                    with self._lock:
                        self._fetches += 1
                        if self._fetches == self.nth:
                            armed.set()
                server.sendall(data)
            _close(server)

        threading.Thread(target=upstream, daemon=True).start()
        sent = 0
        while data := _recv(server):
            if armed.is_set():
                if sent + len(data) >= self.after:
                    client.sendall(data[: max(0, self.after - sent)])
                    self.cuts += 1
                    break
                sent += len(data)
            client.sendall(data)
        _close(client)
        _close(server)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
