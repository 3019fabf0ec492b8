"""Backtest benchmark (not a test): fitted Flee rules against Flee's default rules, on Flee's cases.

    PYTHONPATH=src python benchmarks/flee_backtest.py [--cases mali2012 burundi2015 ...]
        [--budget 300] [--workers 2] [--seed 0] [--flee-dir ../shared/flee] [--out
        out/flee_backtest.json]

For each case of ../shared/flee/scenarios, with the settings of ../shared/flee/simsetting.yml
(hasten replaced: mali2012 and burundi2015 1, nigeria2016 10, ukraine2022 100, as
tests/test_flee_cases.py does), `travesia backtest` at the day 40% into the period: a fit of a few
move rules (PRIORS) to the camp counts up to that day, a forecast of the rest (median of the
predictive runs), and Flee's default rules (the settings file unchanged, the median of 5 seeds)
over the same days. With assimilation (the default; --no-assimilate for the old comparison) the
forecast starts from the camps' latest counts up to the day, and the default rules are scored
both as Flee runs them (a) and started from the same state (b); the fitted forecast is (c).
Prints one row per case: date, the ARDs, the difference (c) - (a) (negative: the forecast is
better), runs and wall time.
The issue's goal: lower by at least 0.05 on at least three of the four cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from travesia.inference.flee_runs import backtest_flee, load_flee, parse_flee_vary  # noqa: E402

HASTEN = {"mali2012": 1, "burundi2015": 1, "nigeria2016": 10, "ukraine2022": 100}
# move rules with priors around the preset's values (simsetting.yml: camp_weight 1, foreign_weight
# 1,
# distance_power 0.75, default_movechance 0.5)
PRIORS = [
    "camp_weight=lognormal(1,0.7)",
    "foreign_weight=lognormal(1,0.7)",
    "distance_power=uniform(0.25,1.5)",
    "default_movechance=uniform(0.1,0.9)",
]


def settings_file(flee_dir: Path, hasten: int, folder: Path) -> Path:
    text = (flee_dir / "simsetting.yml").read_text().replace("hasten: 1", f"hasten: {hasten}")
    path = folder / f"simsetting_hasten{hasten}.yml"
    path.write_text(text)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(HASTEN))
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--likelihood", choices=["log", "ard"], default="log",
                    help="log: each weekly camp count a report (calibrate.py's); ard: each day "
                         "scored like ARD.")
    ap.add_argument("--share", type=float, default=0.4,
                    help="Backtest date: this share into the period.")
    ap.add_argument("--assimilate", action=argparse.BooleanOptionalAction, default=True,
                    help="Start the forecast from the camps' latest counts up to the day.")
    ap.add_argument("--fit-from-state", action="store_true",
                    help="Fit forecasts started from the state half-way to the day.")
    ap.add_argument("--flee-dir", type=Path, default=ROOT.parent / "shared" / "flee")
    ap.add_argument("--out", type=Path, default=Path("out") / "flee_backtest.json")
    args = ap.parse_args()
    if not (args.flee_dir / "scenarios").is_dir():
        sys.exit(f"Flee's cases are not at {args.flee_dir} (give --flee-dir)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases:
            fs = load_flee(args.flee_dir / "scenarios" / case,
                           settings_file(args.flee_dir, HASTEN[case], Path(tmp)))
            at = fs.start + dt.timedelta(days=round(args.share * (fs.days - 1)))
            clock = time.perf_counter()
            r = backtest_flee(fs, at, vary=parse_flee_vary(PRIORS), budget=args.budget,
                              base_seed=args.seed,
                              workers=args.workers, likelihood=args.likelihood,
                              assimilate=args.assimilate, fit_from_state=args.fit_from_state)
            r["wall_seconds"] = time.perf_counter() - clock
            rows.append(r)
            b = r["ard_default_rules_assimilated"]
            print(f"{case}: at {r['at']}, fitted {r['ard_forecast']:.3f}, default "
                  f"{r['ard_default_rules']:.3f}, default assimilated "
                  f"{'-' if b is None else f'{b:.3f}'}, "
                  f"difference {r['ard_difference']:+.3f} ({r['runs']} runs, "
                  f"{r['wall_seconds']:.0f} s)", flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"priors": PRIORS, "budget": args.budget,
                                            "likelihood": args.likelihood,
                                            "assimilate": args.assimilate,
                                            "fit_from_state": args.fit_from_state,
                                            "rows": rows}, indent=2,
                                           default=str))
    print()
    print("| case | hasten | date (40%) | days after | (a) ARD default rules | (b) default + "
          "assimilation | (c) fitted + assimilation | (c) - (a) "
          "| in-sample: fitted / default | runs | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["ard_default_rules_assimilated"]
        print(f"| {r['case']} | {r['hasten']} | {r['at']} | {r['forecast_days']} | "
              f"{r['ard_default_rules']:.3f} | {'-' if b is None else f'{b:.3f}'} | "
              f"{r['ard_forecast']:.3f} | {r['ard_difference']:+.3f} | "
              f"{r['ard_fitted_days']:.3f} / {r['ard_default_rules_fitted_days']:.3f} | "
              f"{r['runs']} | "
              f"{r['wall_seconds']:.0f} s |")
    print(f"\nbudget {args.budget} runs per case (a tenth predictive), likelihood "
          f"{args.likelihood}, assimilation {'on' if args.assimilate else 'off'}"
          f"{', fit from the state half-way' if args.fit_from_state else ''}, "
          f"priors: {', '.join(PRIORS)}; "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
