"""The generated corpus of broken inputs (tests/broken_inputs.py), both formats: every fault ends
in exit 2 and one line `error: FILE...` from `scenario check` and from `run`, with no traceback
and no output folder, or (a legal edge case) runs; `check` refuses whatever `run` refuses."""

from __future__ import annotations

from pathlib import Path

from broken_inputs import flee_faults, travesia_faults
from click.testing import CliRunner
from scenario_kit import tiny_scenario
from test_flee_kit import write_case

from travesia.cli import main

FLEE_CASE = {
    "locations": ["A,r,X,0,0,conflict_zone,0,1000", "B,r,X,0,0,town,,", "C,r,Y,0,0,camp,,500"],
    "routes": ["A,B,10", "B,C,20"],
    "closures": ["country,X,Y,3,5"],
    "conflicts": ["#Day,A"] + [f"{day},1" for day in range(10)],
    "layout": ["total,refugees.csv", "C,c.csv"],
    "counts": {"refugees.csv": ["2020-01-01,0", "2020-01-05,40"],
               "c.csv": ["2020-01-01,0", "2020-01-05,30"]},
    "settings": "move_rules:\n  awareness_level: 1\n",
}


def _invoke(*args) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output, exc


def _judge(name: str, code: int, out: str, exc, folder: Path, problems: list[str]) -> bool:
    """True if refused properly; a problem is noted for anything but a clean refusal or a run."""
    if exc is not None or "Traceback" in out:
        problems.append(f"{name}: crashed: {exc!r} {out[-300:]!r}")
        return False
    if code == 0:
        return False
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    if code != 2 or len(errors) != 1 or str(folder) not in errors[0]:
        problems.append(f"{name}: exit {code}, not one line naming the folder's file: {out!r}")
    return True


def test_every_broken_travesia_folder_is_refused_by_check_and_run(tmp_path):
    probe = tiny_scenario(tmp_path / "probe")
    assert _invoke("run", probe, "--quiet", "--out", tmp_path / "sound")[0] == 0   # unbroken
    faults = travesia_faults(probe)
    problems: list[str] = []
    refused = 0
    for i, (name, fault) in enumerate(faults.items()):
        folder = tiny_scenario(tmp_path / f"f{i}")
        fault(folder)
        out_dir = tmp_path / f"out{i}"
        checked = _judge(f"check {name}", *_invoke("scenario", "check", folder), folder, problems)
        ran = _judge(f"run {name}", *_invoke("run", folder, "--quiet", "--out", out_dir), folder,
                     problems)
        if ran and out_dir.exists():
            problems.append(f"run {name}: refused but left an output folder")
        if ran and not checked:
            problems.append(f"{name}: check passed what run refused")
        refused += checked
    assert not problems, "\n".join(problems[:20])
    assert refused >= 60, f"only {refused} of {len(faults)} faults refused"


def test_every_broken_flee_folder_is_refused_by_check_and_run(tmp_path):
    probe = write_case(tmp_path / "probe", **FLEE_CASE)
    code, out, _ = _invoke("run", probe, "--out", tmp_path / "sound")
    assert code == 0, out                                                          # unbroken
    assert _invoke("scenario", "check", probe)[0] == 0
    faults = flee_faults(probe)
    problems: list[str] = []
    refused = 0
    for i, (name, fault) in enumerate(faults.items()):
        folder = write_case(tmp_path / f"f{i}", **FLEE_CASE)
        fault(folder)
        out_dir = tmp_path / f"out{i}"
        checked = _judge(f"check {name}", *_invoke("scenario", "check", folder), folder,
                         problems)
        ran = _judge(f"run {name}", *_invoke("run", folder, "--out", out_dir), folder, problems)
        if ran and not checked:
            problems.append(f"{name}: check passed what run refused")
        refused += ran
    assert not problems, "\n".join(problems[:20])
    assert refused >= 30, f"only {refused} of {len(faults)} faults refused"


def test_legal_edge_cases_run(tmp_path):
    """A BOM and CRLF line ends, zero people, a huge but finite capacity."""
    folder = tiny_scenario(tmp_path / "edge", people=0, entry_cap=1e8)
    for path in folder.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    code, out, exc = _invoke("run", folder, "--quiet", "--out", tmp_path / "out")
    assert code == 0 and exc is None, out
    assert (tmp_path / "out" / "summary.json").exists()
