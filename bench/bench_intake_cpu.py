"""The main process's own CPU per message of a first pass, without IMAP and without the parse
pool: what `handle_mail` costs for a report and for a short text mail (issue 14 point 2).

`bench_first_pass.py` measures the whole first pass against its baseline, but on a shared
2-core machine its wall clock moves with the other jobs' load by 2× and more; this bench
measures only this thread's CPU time (`time.thread_time()`) per unit of work, which moves
much less. The path is the poll's: the mails of the same kind as `bench_first_pass.py`
(R reports from five agencies, so each agency's chain of versions grows to R / 5, and P short
text mails, interleaved), raw messages and files stored and recorded ahead, each mail parsed
ahead and known new to the ledger, one unit of work and one commit per message inside
`deferred_sync`. The attachments' parse results are computed before the timing and handed
out by a stand-in parser (the parse itself is `bench_parse.py`'s subject). At the end the
supersede rule is checked: per agency the newest version is valid and every other points at it.

Usage: .venv/bin/python bench/bench_intake_cpu.py [R] [P]   (default 300 reports, 1000 mails)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_first_pass as first_pass  # noqa: E402

R = int(sys.argv[1]) if len(sys.argv) > 1 else 300
P = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def main() -> None:
    from sqlalchemy import select

    from config.settings import Settings
    from flows.app import App, init
    from flows.intake.inbox import inbox_context
    from flows.intake.mail import handle_mail
    from parsers.mail import parse_mail
    from storage.blobs import record_blobs, sha256_hex
    from storage.db import deferred_sync
    from storage.models import Submission

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", config_dir=ROOT / "config")
        app = App(settings)
        init(app)
        ctx = inbox_context(app, None, None).load()
        raws = [first_pass.message(i, True) for i in range(R)] + [first_pass.message(R + i, False) for i in range(P)]
        mails = [parse_mail(raw) for raw in raws]
        # Interleaved as in a mailbox: a report every (P / R) text mails.
        order = sorted(range(R + P), key=lambda i: i * (P / max(R, 1)) if i < R else i - R)
        results = {sha256_hex(a.data): ctx.parse(a.data, a.filename, ctx.spec) for m in mails for a in m.attachments}
        timed = replace(ctx, parse=lambda data, filename, spec: results[sha256_hex(data)])
        shas = app.blobs.write_many(raws)
        app.blobs.write_many(a.data for m in mails for a in m.attachments)
        with app.session() as session:
            record_blobs(app.blobs, [(sha, len(raw)) for sha, raw in zip(shas, raws, strict=True)], session=session)
        cpu: dict[bool, list[float]] = {True: [], False: []}
        with deferred_sync(app.engine):
            for i in order:
                start = time.thread_time()
                with app.session() as session:
                    handle_mail(
                        timed, "INBOX", 1, i + 1, raws[i], None,
                        session=session, raw_sha256=shas[i], advance=False, mail=mails[i], known_new=True,
                    )
                cpu[bool(mails[i].attachments)].append(time.thread_time() - start)
        with app.session() as session:
            chains: dict[int, list[Submission]] = {}
            for sub in session.scalars(select(Submission)):
                chains.setdefault(sub.recipient_id, []).append(sub)
        for rid, subs in chains.items():
            newest = max(subs, key=lambda s: (s.received_at, s.id))
            assert newest.status == "valid" and newest.superseded_by_id is None, rid
            assert all(s.status == "superseded" and s.superseded_by_id == newest.id for s in subs if s is not newest), rid
        app.engine.dispose()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    for label, values in (("report", cpu[True]), ("short text mail", cpu[False])):
        if values:
            print(f"{label:<16} {len(values):>5} × CPU mean {1000 * statistics.mean(values):6.2f} ms, median {1000 * statistics.median(values):6.2f} ms")  # noqa: T201
    print(f"versions per agency: {sorted(len(s) for s in chains.values())}; load average {load}")  # noqa: T201


if __name__ == "__main__":
    main()
