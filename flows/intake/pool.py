"""Parsing ahead in worker processes when many files wait (a first pass over a full mailbox).

The order of work does not change: messages are still handled one by one, in UID order, one
commit each. What changes is that the files of the next fetched chunk are already being parsed
by a pool (one worker per available core) while the current chunk is written; the handler asks
`AheadParse` for a file's result and gets the pool's, or parses it itself when the pool did not
have it (a file the pool was not given, or a worker that died: the parse is simply redone).
Below `parse_pool_min` waiting files no pool is started: its start-up costs more than it saves.
The files wait in one fetched chunk, or are expected over the whole poll: as many messages as
large as a mail with a file (the server's RFC822.SIZE, asked before any body is fetched) —
a first pass over a full mailbox has its reports spread thin, a few per chunk.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType

from flows.intake.budget import Budgeted
from flows.intake.context import ParseFn
from flows.intake.scanq import DeferScans
from parsers import lo_server
from parsers.api import parse_bytes
from parsers.mail import MailMessage
from parsers.model import OutlineSpec, ParseResult
from storage.blobs import sha256_hex

log = logging.getLogger(__name__)


# A message this large (bytes, as the server counts them) may carry a file: a Word report is
# rarely under 10 kB, base64 makes it a third larger; short text mails are 1–5 kB.
FILE_SIZE_HINT = 12_000


def pool_size(configured: int) -> int:
    """Workers: as configured, else one per core this process may use."""
    if configured > 0:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def poolable(parse: ParseFn) -> bool:
    """Only the real parser (under its time budget or not) goes to workers (a test's
    stand-in stays in this process)."""
    inner = parse.parse if isinstance(parse, DeferScans) else parse
    inner = inner.parse if isinstance(inner, Budgeted) else inner
    func = inner.func if isinstance(inner, partial) else inner
    return func is parse_bytes


@dataclass
class AheadParse:
    """A ParseFn that returns results parsed ahead by the pool, else parses in place."""

    fallback: ParseFn
    spec: OutlineSpec
    workers: int
    minimum: int
    executor: ProcessPoolExecutor | None = None
    pending: dict[tuple[str, str], Future[ParseResult]] = field(default_factory=dict)
    from_pool: int = 0
    expected: int = 0

    def expect(self, sizes: Iterable[int]) -> None:
        """The poll's messages' sizes: how many may carry files (only decides whether the
        pool starts before `minimum` files wait in one chunk)."""
        self.expected = sum(1 for size in sizes if size >= FILE_SIZE_HINT)

    def __call__(self, data: bytes, filename: str, spec: OutlineSpec) -> ParseResult:
        future = self.pending.pop((sha256_hex(data), filename), None)
        if future is not None and spec is self.spec:
            try:
                result = future.result()
                self.from_pool += 1
                return result
            except Exception:  # noqa: BLE001 — a broken worker: parse here instead
                log.warning("parse pool failed on %s; parsing in process", filename, exc_info=True)
        return self.fallback(data, filename, spec)

    def submit(self, mails: list[MailMessage]) -> int:
        """Start parsing the files of these (parsed) messages; returns how many were sent to
        the pool."""
        files = [a for mail in mails for a in mail.attachments if not a.rejected]
        many = self.expected >= self.minimum
        jobs = [(a.data, a.filename) for a in files]
        if self.executor is None and (not jobs or (not many and len(jobs) + len(self.pending) < self.minimum)):
            return 0
        # Names already known from the parsed messages: a legacy file starts the run's lazy
        # warm LibreOffice before the workers get it (the workers know its address already).
        lo_server.want_for((a.filename, a.content_type) for a in files)
        if self.executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["parsers.api"])
            # The run's warm LibreOffice (parsers/lo_server.py), if any, serves the workers too.
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=lo_server.use_server, initargs=(lo_server.current(),)
            )
        sent = 0
        for data, filename in jobs:
            key = (sha256_hex(data), filename)
            if key in self.pending:
                continue
            try:
                self.pending[key] = self.executor.submit(self.fallback, data, filename, self.spec)
            except BrokenProcessPool:
                # A worker died (killed for memory, a crash in a C library): the pool is gone.
                # Its pending files are parsed here when their turn comes (their futures fail);
                # the rest of the poll goes on without parsing ahead, never stopping the batch.
                log.warning("parse pool broke (a worker died); the remaining files are parsed in process")
                self._drop_executor()
                self.minimum = 10**9
                return sent
            sent += 1
        return len(jobs)

    def _drop_executor(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def close(self) -> None:
        """Stop the workers (what was not asked for is dropped)."""
        if self.executor is not None:
            for future in self.pending.values():
                future.cancel()
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        self.pending.clear()

    def __enter__(self) -> AheadParse:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
