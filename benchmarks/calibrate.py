"""Calibration benchmark (not a test): how long a fit of the built-in scenario takes.

    python benchmarks/calibrate.py [--budget 2000] [--workers N] [--out DIR]

Runs `travesia calibrate chile-peru-2025 --budget N` in-process (every run on the local worker
processes of the ensemble executor), then reports the wall time against the issue's bound
(2,000 runs within 10 minutes on a 2-core machine), the runs per minute, and the fit's scores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="Keep the fitted files here.")
    parser.add_argument("--scenario", default="chile-peru-2025")
    args = parser.parse_args()

    from travesia.inference.calibrate import calibrate, write_fit

    done = {"n": 0, "shown": 0.0}
    started = time.perf_counter()

    def progress(n, total):
        now = time.perf_counter()
        if n == total or now - done["shown"] > 15:
            done["shown"] = now
            print(f"  {n}/{total} runs after {now - started:.0f} s", flush=True)

    fit = calibrate(args.scenario, budget=args.budget, workers=args.workers, progress=progress)
    wall = time.perf_counter() - started
    summary = fit.scores().summary()
    out = args.out or Path(tempfile.mkdtemp(prefix="travesia-calibrate-"))
    write_fit(fit, out / "fitted_params.yaml", summary)
    report = {
        "scenario": args.scenario,
        "budget_runs": args.budget,
        "runs": fit.runs,
        "failed": fit.failed,
        "workers": args.workers or os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "wall_seconds": round(wall, 1),
        "runs_per_minute": round(60 * fit.runs / wall, 1),
        "within_10_minutes": wall <= LIMIT_SECONDS,
        "fit_days": fit.settings["fit_days"],
        "coverage_90": round(summary["model"]["coverage_90"], 3),
        "wis": {k: round(summary[k]["wis"], 1) for k in ("model", "naive_last", "naive_zero")},
        "fitted_files": str(out),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
