"""Oversized inputs are refused before they are read, so memory stays under 1 GB: a sparse
1 GB Flee CSV, a 200 MB scenario CSV, a Flee folder of 1,000,000 locations, a period to 9999
and 10^12 people, each run in a process of its own whose peak memory is measured."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from scenario_kit import tiny_scenario
from test_broken_corpus import FLEE_CASE
from test_flee_kit import write_case

GIB = 2**30


def _sparse(path, size):
    with path.open("r+b") as f:
        f.truncate(size)


def _million_locations(folder):
    with (folder / "input_csv" / "locations.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"T{i},r,X,0,0,town,,\n" for i in range(1_000_000))


def _forever(folder):
    spec = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    spec["end"] = "9999-12-31"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")


def _people(folder):
    path = folder / "population.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",35,", ",1000000000000,"),
                    encoding="utf-8")


CASES = {
    "sparse 1 GB Flee CSV": ("flee", lambda f: _sparse(f / "input_csv" / "routes.csv", GIB),
                             "file too large"),
    "200 MB scenario CSV": ("ours", lambda f: _sparse(f / "places.csv", 200 * 2**20),
                            "file too large"),
    "1,000,000 Flee locations": ("flee", _million_locations, "file too large"),
    "end: 9999-12-31": ("ours", _forever, "longer than"),
    "10^12 people": ("ours", _people, "must be at most"),
}


@pytest.mark.parametrize("case", CASES)
def test_oversized_input_is_refused_within_1_gb(tmp_path, case):
    kind, grow, words = CASES[case]
    folder = (tiny_scenario(tmp_path / "sc", people=35) if kind == "ours"
              else write_case(tmp_path / "flee", **FLEE_CASE))
    grow(folder)
    # the child says its own peak: RUSAGE_CHILDREN would mix in earlier tests' processes
    code = ("import resource, sys\nfrom travesia.cli import main\ntry:\n    main()\nfinally:\n"
            "    print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "run", str(folder), "--quiet", "--out",
                           str(tmp_path / "out")],
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr
    peak_kib = int(proc.stderr.rsplit("peak_kib", 1)[1].split()[0])
    assert peak_kib < 1024 * 1024, f"peak {peak_kib / 1024:.0f} MB"
