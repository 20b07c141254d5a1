"""The variation corpus at scale: seeded variants of every fixture report along each axis
(tests/parsers/variations.py) and LibreOffice round-trips, per-axis pass rates printed.

Run: .venv/bin/python bench/bench_variations.py [--seed N] [--per-axis N] [--round-trips N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "parsers"))

import variations as V  # noqa: E402

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402


def main() -> int:
    """Run the corpus, print one line per axis and the failures."""
    args = argparse.ArgumentParser()
    args.add_argument("--seed", type=int, default=2025)
    args.add_argument("--per-axis", type=int, default=60)
    args.add_argument("--round-trips", type=int, default=4, help="bases per format round-trip target")
    opts = args.parse_args()
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    started = time.perf_counter()
    outcomes = V.run(spec, seed=opts.seed, per_axis=opts.per_axis)
    pure = time.perf_counter() - started
    pool = V.bases(spec)
    for fmt, targets in V.ROUND_TRIPS.items():
        mine = [b for b in pool if b.fmt == fmt][: opts.round_trips]
        for target in targets:
            for base in mine:
                try:
                    outcomes.append(V.check_round_trip(base, target, spec))
                except Exception as err:  # a conversion failure is a failed variant, not a crash
                    outcomes.append(V.Outcome(f"roundtrip_{fmt}_{target}", base.name, False, [repr(err)]))
    print(f"variation corpus: seed {opts.seed}, {len(outcomes)} variants, pure variants in {pure:.1f} s")  # noqa: T201
    total_ok = 0
    for axis, (ok, n) in V.rates(outcomes).items():
        total_ok += ok
        print(f"  {axis:24s} {ok:4d}/{n:<4d} {ok / n:6.1%}")  # noqa: T201
    print(f"  {'all':24s} {total_ok:4d}/{len(outcomes):<4d} {total_ok / len(outcomes):6.1%}")  # noqa: T201
    for o in outcomes:
        if not o.ok:
            print(f"  FAIL {o.axis} {o.base} {o.note}: {'; '.join(o.diffs[:3])[:300]}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
