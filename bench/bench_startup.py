"""Start-up: wall time of `baocao --help`, `baocao status` (28 recipients, table and --json)
and of importing the flow module a served flow run starts with, against `python -c pass`
and `python -c "import sqlalchemy"` measured interleaved in the same run (issue 14: status
≤ 0.6 s on an idle machine). Each a fresh process, bytecode compiled (`make setup`).

Usage: .venv/bin/python bench/bench_startup.py [ROUNDS]   (default 9; medians)
"""

from __future__ import annotations

import os
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
        run([BAOCAO, "init"], env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for name, cmd in COMMANDS.items():  # warm the page cache once
            run(cmd, env)
        for _ in range(ROUNDS):
            for name, cmd in COMMANDS.items():
                times[name].append(run(cmd, env))
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
