"""Start-up: wall time of `baocao --help`, `baocao status` (28 recipients, table and --json),
of importing the flow module a served flow run starts with, and of a no-op flow run (the
`ingest-folder` flow over an empty shared folder, in a fresh process, against a Prefect server
this bench starts) next to an empty Prefect flow run in a fresh process (Prefect's own fixed
cost), against `python -c pass` and `python -c "import sqlalchemy"` measured interleaved in the
same run (issue 14: status ≤ 0.6 s on an idle machine). Bytecode compiled (`make setup`).

Usage: .venv/bin/python bench/bench_startup.py [ROUNDS]   (default 9; medians)
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BAOCAO = str(Path(PY).parent / "baocao")
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 9

COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    'python -c "import sqlalchemy"': [PY, "-c", "import sqlalchemy"],
    "baocao --help": [BAOCAO, "--help"],
    "baocao status (28 recipients)": [BAOCAO, "status"],
    "baocao status --json": [BAOCAO, "status", "--json"],
    "import of the flow module (flows.runs.pipelines)": [PY, "-c", "import flows.runs.pipelines"],
}
FLOW_COMMANDS = {
    "empty Prefect flow run (baseline)": [
        PY, "-c", "from prefect import flow\n@flow\ndef empty():\n    return 1\nassert empty() == 1",
    ],
    "no-op flow run (ingest-folder, empty folder)": [
        PY, "-c", "from flows.runs.pipelines import ingest_folder_flow\ningest_folder_flow()",
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`prefect server start` on a free port (its own PREFECT_HOME), waited for until healthy."""
    import urllib.request

    port = free_port()
    server = subprocess.Popen(
        [str(Path(PY).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the Prefect server did not start in 180 s")


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, timeout=120, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return took


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
        env["BAOCAO_DATA_DIR"] = str(Path(tmp) / "data")
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect")
        (Path(tmp) / "drop").mkdir()
        env["BAOCAO_DROP__DIR"] = str(Path(tmp) / "drop")
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        run([BAOCAO, "init"], env)
        server, url = prefect_server(env)
        try:
            flow_env = dict(env, PREFECT_API_URL=url)
            commands = {name: (cmd, env) for name, cmd in COMMANDS.items()}
            commands |= {name: (cmd, flow_env) for name, cmd in FLOW_COMMANDS.items()}
            times: dict[str, list[float]] = {name: [] for name in commands}
            for cmd, cmd_env in commands.values():  # warm the page cache (and the server) once
                run(cmd, cmd_env)
            for _ in range(ROUNDS):
                for name, (cmd, cmd_env) in commands.items():
                    times[name].append(run(cmd, cmd_env))
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"medians of {ROUNDS} interleaved runs; load average {' '.join(load)} (2 cores shared with other engineers)")  # noqa: T201
        bare = statistics.median(times["python -c pass"])
        sqla = statistics.median(times['python -c "import sqlalchemy"'])
        print(f"{'command':<52} {'wall':>8} {'× pass':>7} {'× sqlalchemy':>13}")  # noqa: T201
        for name, values in times.items():
            m = statistics.median(values)
            print(f"{name:<52} {m:>7.3f}s {m / bare:>7.1f} {m / sqla:>13.2f}")  # noqa: T201


if __name__ == "__main__":
    main()
