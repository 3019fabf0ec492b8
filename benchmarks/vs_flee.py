"""Head-to-head benchmark (not a test): Flee 3.1 and travesia on the same Flee case and settings.

    python benchmarks/vs_flee.py CASE_DIR --flee-python .venv-flee/bin/python \
        [--settings simsetting.yml] [--seeds 0 1 2] [--flee-seeds 0] [--hasten N] [--out DIR]

This script installs nothing. Flee (PyPI `flee==3.1`) lives in a virtual environment of its own
(`make flee-env` creates `.venv-flee`); name its python with `--flee-python`. Without it only
travesia runs. Each run is a child process: wall time is the child's, peak memory its
`ru_maxrss` (from os.wait4), and both tools' out.csv files are scored by the same function
(travesia.flee.scoring, FLEE.md's ARD), so the ARD columns compare like with like.

By default travesia is given the settings as Flee 3.1 applies them: 3.1's reader ignores
`capacity_scaling` (Flee master reads it) and `conflict_spawn_decay_interval` (3.1 hard-codes 30
days); `--travesia-settings as-written` gives travesia the file unchanged.

Flee's wheel has no run script: the child drives its API as Flee's runscripts/run.py does, with
two adaptations to 3.1 (Ecosystem() takes no arguments; conflicts.csv is read explicitly) and with
`sum_from_camps` taken from the settings file (3.1's reader ignores that key; its spawn function
takes it as an argument). Flee is unseeded: the child seeds Python's and numpy's generators with
the run's seed so that a benchmark can be repeated.

`--interleave` runs travesia's seeds before and after each Flee run, so that both are timed over
the same stretch of host load: on a shared virtual machine, runs of a few tenths of a second
timed minutes apart from Flee's can differ by half. Times and rates are medians over runs; ARD
is the mean over distinct seeds.

An agent-step is one agent present in the simulation on one day (sum over days of the agent
count). "engine" agent-steps/s for travesia count only time spent inside the simulation's steps;
for Flee, whose steps are the whole loop, only the loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Child for Flee: executed with Flee's python (`--flee-child`); imports only Flee and yaml.
# ---------------------------------------------------------------------------------------------


def flee_child(case: Path, settings: Path, seed: int, out_csv: Path, hasten: int | None) -> None:
    import random
    from datetime import date, timedelta

    import numpy as np
    import yaml

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (Flee draws from the legacy global generator)

    raw = yaml.safe_load(settings.read_text()) or {}
    if hasten is not None:
        raw.setdefault("optimisations", {})["hasten"] = hasten
    tmp = Path(tempfile.mkdtemp()) / "simsetting.yml"
    tmp.write_text(yaml.safe_dump(raw))
    sum_from_camps = bool((raw.get("spawn_rules") or {}).get("sum_from_camps", True))

    t_import = time.perf_counter()
    from flee import InputGeography, flee, spawning
    from flee.datamanager import handle_refugee_data, read_period
    from flee.SimulationSettings import SimulationSettings

    inp = case / "input_csv"
    start_date, end_time = read_period.read_conflict_period(str(inp / "sim_period.csv"))
    SimulationSettings.ReadFromYML(str(tmp))
    SimulationSettings.ConflictInputFile = str(inp / "conflicts.csv")
    e = flee.Ecosystem()
    ig = InputGeography.InputGeography()
    ig.ReadConflictInputCSV(str(inp / "conflicts.csv"))
    ig.ReadLocationsFromCSV(str(inp / "locations.csv"))
    ig.ReadLinksFromCSV(str(inp / "routes.csv"))
    ig.ReadClosuresFromCSV(str(inp / "closures.csv"))
    e, lm = ig.StoreInputGeographyInEcosystem(e)
    d = handle_refugee_data.RefugeeTable(
        csvformat="generic", data_directory=str(case / "source_data"), start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=SimulationSettings.optimisations["PopulationScaleDownFactor"])
    d.ReadL1Corrections(str(inp / "registration_corrections.csv"))
    camps = e.get_camp_names()
    header = "Day,Date,"
    for name in camps:
        spawning.add_initial_refugees(e, d, lm[name])
        header += f"{name} sim,{name} data,{name} error,"
    header += ("Total error,refugees in camps (UNHCR),total refugees (simulation),"
               "raw UNHCR refugee count,refugees in camps (simulation),refugee_debt")
    rows = [header]
    agent_steps = 0
    t0 = time.perf_counter()
    start = date.fromisoformat(start_date)
    for t in range(end_time):
        ig.AddNewConflictZones(e, t)
        _, raw_count, debt = spawning.spawn_daily_displaced(e, t, d, SumFromCamps=sum_from_camps)
        spawning.refresh_spawn_weights(e)
        e.enact_border_closures(t)
        e.evolve()
        agent_steps += e.numAgents()
        sims = [lm[n].numAgents for n in camps]
        data = [d.get_field(n, t) for n in camps]
        out = f"{t},{start + timedelta(days=t)}"
        for s, o in zip(sims, data):
            err = abs(s / o - 1) if o > 1e-5 else 0.0
            out += f",{s},{o},{err}"
        tot = sum(abs(s - o) for s, o in zip(sims, data))
        out += (f",{tot / raw_count if raw_count > 0 else 0.0},{int(sum(data))},{e.numAgents()},"
                f"{raw_count},{sum(sims)},{debt}")
        rows.append(out)
    loop = time.perf_counter() - t0
    out_csv.write_text("\n".join(rows) + "\n")
    print(json.dumps({"loop_seconds": loop, "agent_steps": agent_steps, "days": end_time,
                      "agents_end": e.numAgents(), "setup_seconds": t0 - t_import}))


# ---------------------------------------------------------------------------------------------
# Child for travesia: executed with this project's python (`--travesia-child`).
# ---------------------------------------------------------------------------------------------


# Keys of the settings file that Flee 3.1's reader ignores, and the value 3.1 uses instead.
# (sum_from_camps is also ignored by the reader, but the Flee child passes it to the spawn call.)
IGNORED_BY_FLEE_31 = {("move_rules", "capacity_scaling"): 1.0,
                      ("spawn_rules", "conflict_spawn_decay_interval"): 30}


def travesia_child(case: Path, settings: Path | None, seed: int, out_dir: Path,
                   hasten: int | None, as_flee_31: bool) -> None:
    import yaml

    from travesia.model.flee import run_flee_folder

    if hasten is not None or as_flee_31:  # a copy of the settings with the overrides
        raw = (yaml.safe_load(settings.read_text()) if settings else {}) or {}
        if hasten is not None:
            raw.setdefault("optimisations", {})["hasten"] = hasten
        if as_flee_31:
            for (section, key), value in IGNORED_BY_FLEE_31.items():
                raw.setdefault(section, {})[key] = value
        settings = Path(tempfile.mkdtemp()) / "simsetting.yml"
        settings.write_text(yaml.safe_dump(raw))
    summary = run_flee_folder(case, settings=settings, seed=seed, out_dir=out_dir)
    print(json.dumps(summary, default=str))


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------


def start_child(cmd: list[str]) -> tuple[subprocess.Popen, float]:
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True), time.perf_counter()


def finish_child(proc: subprocess.Popen, t0: float, cmd: list[str]) -> dict:
    """Wait for a child; return its last JSON line plus wall seconds and peak RSS (MiB)."""
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"child failed ({status}): {' '.join(cmd)}")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def run_child(cmd: list[str]) -> dict:
    return finish_child(*start_child(cmd), cmd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=Path, nargs="?")
    parser.add_argument("--flee-python", type=Path, default=None)
    parser.add_argument("--settings", type=Path, default=None,
                        help="settings YAML (default: the case's simsetting.yml, else "
                             "../shared/flee/simsetting.yml)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--flee-seeds", type=int, nargs="+", default=None,
                        help="seeds for Flee (default: --seeds); Flee is slow")
    parser.add_argument("--hasten", type=int, default=None, help="override optimisations.hasten")
    parser.add_argument("--out", type=Path, default=Path("out/vs_flee"))
    parser.add_argument("--travesia-settings", choices=["as-flee-3.1", "as-written"],
                        default="as-flee-3.1",
                        help="as-flee-3.1 (default): give travesia the settings as Flee 3.1 "
                             "applies them "
                             "(it ignores capacity_scaling and conflict_spawn_decay_interval), so "
                             "both tools "
                             "run the same rules; as-written: the file as it is")
    parser.add_argument("--interleave", action="store_true",
                        help="run travesia's seeds before and after each Flee run, so that both "
                             "are timed "
                             "over the same stretch of host load (for the speed ratio on a shared "
                             "machine)")
    parser.add_argument("--flee-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--travesia-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.flee_child:
        flee_child(args.case, args.settings, args.seed, args.child_out, args.hasten)
        return
    if args.travesia_child:
        travesia_child(args.case, args.settings, args.seed, args.child_out, args.hasten,
                       args.travesia_settings == "as-flee-3.1")
        return
    if args.case is None:
        parser.error("CASE_DIR is required")

    case = args.case.resolve()
    settings = args.settings
    if settings is None:
        settings = case / "simsetting.yml"
        if not settings.exists():
            settings = (
                Path(__file__).resolve().parents[1].parent / "shared" / "flee" / "simsetting.yml"
            )
    settings = settings.resolve()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from travesia.model.flee.scoring import score_out_csv

    tag = case.name + (f"_h{args.hasten}" if args.hasten else "")
    if args.travesia_settings == "as-written" and args.seeds:
        tag += "_as_written"
    out = args.out / tag
    me = str(Path(__file__).resolve())
    rows: dict[str, list[dict]] = {"travesia": [], "flee": []}
    hasten = ["--hasten", str(args.hasten)] if args.hasten else []

    def run_travesia(seed: int) -> None:
        d = out / f"travesia_seed{seed}"
        d.mkdir(parents=True, exist_ok=True)
        r = run_child([sys.executable, me, str(case), "--travesia-child", "--settings",
                       str(settings),
                       "--seed", str(seed), "--child-out", str(d), "--travesia-settings",
                       args.travesia_settings, *hasten])
        r.update(score_out_csv(d / "out.csv"))
        r["seed"] = seed
        rows["travesia"].append(r)
        print(f"travesia seed {seed}: wall {r['wall_seconds']:.2f} s, engine "
              f"{r['agent_steps_per_second']:.3g} agent-steps/s, peak {r['peak_rss_mib']:.0f} MiB, "
              f"ARD {r['ard']:.4f} (rescaled {r['ard_rescaled']:.4f})", flush=True)

    def start_flee(seed: int) -> tuple[subprocess.Popen, float, list[str]]:
        d = out / f"flee_seed{seed}"
        d.mkdir(parents=True, exist_ok=True)
        cmd = [str(args.flee_python), me, str(case), "--flee-child", "--settings", str(settings),
               "--seed", str(seed), "--child-out", str(d / "out.csv"), *hasten]
        return *start_child(cmd), cmd

    def finish_flee(seed: int, proc: subprocess.Popen, t0: float, cmd: list[str]) -> None:
        r = finish_child(proc, t0, cmd)
        r.update(score_out_csv(out / f"flee_seed{seed}" / "out.csv"))
        r["seed"] = seed
        r["agent_steps_per_second"] = r["agent_steps"] / r["loop_seconds"]
        rows["flee"].append(r)
        print(f"flee 3.1 seed {seed}: wall {r['wall_seconds']:.1f} s, loop "
              f"{r['agent_steps_per_second']:.3g} agent-steps/s, peak {r['peak_rss_mib']:.0f} MiB, "
              f"ARD {r['ard']:.4f} (rescaled {r['ard_rescaled']:.4f})", flush=True)

    flee_seeds = (args.flee_seeds if args.flee_seeds is not None
                  else args.seeds) if args.flee_python else []
    if args.interleave and flee_seeds:
        # travesia's seeds before and after each Flee run, one tool at a time: both are then
        # timed over the same stretch of a shared host's load (running them side by side on the
        # two cores instead slows the compiled kernel more than the interpreter: measured).
        for seed in flee_seeds:
            for s in args.seeds:
                run_travesia(s)
            finish_flee(seed, *start_flee(seed))
        for s in args.seeds:
            run_travesia(s)
    else:
        for seed in args.seeds:
            run_travesia(seed)
        for seed in flee_seeds:
            finish_flee(seed, *start_flee(seed))

    def summarise(tool: str, key: str) -> float | None:
        """Times and rates: the median over runs (robust to a host's slow spells). ARD: the mean
        over distinct seeds (an interleaved benchmark repeats seeds; a seed gives one result)."""
        if key.startswith("ard"):
            vals = list({r["seed"]: r[key] for r in rows[tool] if r.get(key) is not None}.values())
            return sum(vals) / len(vals) if vals else None
        vals = [r[key] for r in rows[tool] if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    report = {"case": case.name, "settings": str(settings), "hasten": args.hasten,
              "interleave": args.interleave,
              "travesia_settings": args.travesia_settings, "flee_version": "3.1", "runs": rows}
    print(f"\n{case.name}" + (f" (hasten {args.hasten})" if args.hasten else ""))
    print(f"{'':10s} {'runs':>5s} {'wall s':>8s} {'steps/s':>10s} {'peak MiB':>9s} {'ARD':>7s} "
          f"{'resc.':>7s}")
    for tool in ("travesia", "flee"):
        if not rows[tool]:
            continue
        summary = {k: summarise(tool, k) for k in
                   ("wall_seconds", "agent_steps_per_second", "peak_rss_mib", "ard",
                    "ard_rescaled")}
        report[tool] = summary | {"seeds": [r["seed"] for r in rows[tool]]}
        print(f"{tool:10s} {len(rows[tool]):5d} {summary['wall_seconds']:8.2f} "
              f"{summary['agent_steps_per_second']:10.3g} {summary['peak_rss_mib']:9.0f} "
              f"{summary['ard']:7.4f} {summary['ard_rescaled']:7.4f}")
    if rows["flee"] and rows["travesia"]:
        ratios = {
            "whole_run_speedup": report["flee"]["wall_seconds"]
            / report["travesia"]["wall_seconds"],
            "engine_agent_steps_ratio": report["travesia"]["agent_steps_per_second"]
            / report["flee"]["agent_steps_per_second"],
            "memory_ratio": report["flee"]["peak_rss_mib"] / report["travesia"]["peak_rss_mib"],
            "ard_difference": report["travesia"]["ard"] - report["flee"]["ard"],
        }
        report["ratios"] = ratios
        print("ratios: " + ", ".join(f"{k} {v:.3g}" for k, v in ratios.items()))
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"report: {out / 'report.json'}")


if __name__ == "__main__":
    main()
