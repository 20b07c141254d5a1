"""`python -m flows.dev.faults ARGS…`: the `baocao` command line with a crash armed at a named
fault point (see `flows.faults`), for kill tests and `bench/fault_run.py`.

BAOCAO_FAULT_KILL_AT names the point (before_commit, after_commit, before_send, after_send,
before_ack, after_store); BAOCAO_FAULT_KILL_ON=N kills on its N-th passage (default 1). The
process kills itself with SIGKILL: no `finally`, no atexit, no flush — as a power cut or the
OOM killer would.
"""

from __future__ import annotations

import os
import signal

from flows.cli.main import main
from flows.faults import HOOKS


def arm(point: str, on: int = 1) -> None:
    """SIGKILL this process at the `on`-th passage through `point`."""
    passed = 0

    def kill() -> None:
        nonlocal passed
        passed += 1
        if passed >= on:
            os.kill(os.getpid(), signal.SIGKILL)

    HOOKS[point] = kill


if __name__ == "__main__":
    if os.environ.get("BAOCAO_FAULT_KILL_AT"):
        arm(os.environ["BAOCAO_FAULT_KILL_AT"], int(os.environ.get("BAOCAO_FAULT_KILL_ON", "1")))
    main()
