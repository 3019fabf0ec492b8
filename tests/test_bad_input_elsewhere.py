"""Bad input outside scenario folders: command options, --params, --observations and --fit files,
run folders, the web API's bodies and worker processes that die. Each mistake is one line naming
the file and the row or field (exit status 2, a 4xx from the web), never a traceback, and never
silently ignored. Every case here failed before it was fixed (the audit in CHANGELOG.md)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import shutil
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from click.testing import CliRunner
from scenario_kit import tiny_scenario, write_csv
from test_broken_corpus import FLEE_CASE
from test_calibrate import _observed_tiny
from test_flee_kit import write_case
from test_web_kit import make_run_dir

from travesia.cli import main
from travesia.errors import WORKER_DIED

OBSERVATION_COLUMNS = ("date", "place", "measure", "value", "value_low", "value_high",
                       "crossing", "compare")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The observed tiny scenario (one crossing X-Y, 20 days, two priors), a run of it, a Flee
    folder and a folder of bad input files."""
    root = tmp_path_factory.mktemp("elsewhere")
    sc = _observed_tiny(root)
    run = make_run_dir(sc, root / "run")
    flee = write_case(root / "flee", **FLEE_CASE)
    bad = root / "bad"
    bad.mkdir()
    row = {"date": "2026-01-04", "place": "XP", "measure": "held", "value": 10, "value_low": "",
           "value_high": "", "crossing": "X-Y", "compare": "held"}
    write_csv(bad / "crossing.csv", [row, {**row, "crossing": "Nowhere"}])
    write_csv(bad / "compare.csv", [row, {**row, "compare": "helt"}])
    write_csv(bad / "no_crossing.csv", [row, {**row, "crossing": ""}])
    (bad / "keys.yaml").write_text("departure_rate_per_day:\n  regular: 0.01\n  irregular: "
                                   "0.01\n  iregular: 0.5\n", encoding="utf-8")
    (bad / "nationality.yaml").write_text("nationality_response:\n  Martian: 2\n",
                                          encoding="utf-8")
    return {"sc": sc, "run": run, "flee": flee, "bad": bad, "root": root}


def invoke(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}\n{result.output}")
    return result.exit_code, result.output


def assert_refused(code: int, output: str, *names: str, status: int = 2) -> None:
    """Exit `status`, no traceback, one `error:` line holding each of `names`."""
    assert code == status, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    for name in names:
        assert name in errors[0], (name, errors[0])


# --- command options -----------------------------------------------------------------------------

@pytest.mark.parametrize("args, names", [
    # an output under a file: was FileExistsError
    (["ensemble", "{sc}", "--runs", "2", "--workers", "1", "--quiet",
      "--store", "{sc}/places.csv/ens.duckdb"], ["{sc}/places.csv", "is a file"]),
    (["calibrate", "{sc}", "--budget", "40", "--workers", "1", "--quiet",
      "--out", "{sc}/places.csv/fit.yaml"], ["{sc}/places.csv", "field '--out'", "is a file"]),
    (["forecast", "{sc}", "--at", "2026-01-08", "--budget", "40", "--workers", "1", "--quiet",
      "--out", "{sc}/places.csv/fc"], ["{sc}/places.csv", "field '--out'", "is a file"]),
    # Flee-only options given to a scenario, scenario-only ones to a Flee run: were ignored
    (["run", "{sc}", "--settings", "{flee}/simsetting.yml", "--quiet", "--out", "{root}/r1"],
     ["field '--settings'", "Flee folders only"]),
    (["ensemble", "{sc}", "--runs", "2", "--store", "{root}/e1.duckdb", "--settings",
      "{flee}/simsetting.yml"],
     ["field '--settings'"]),
    (["calibrate", "{sc}", "--likelihood", "ard", "--budget", "40", "--out", "{root}/c3.yaml"],
     ["field '--likelihood'"]),
    (["run", "{flee}", "--params", "{bad}/keys.yaml", "--quiet", "--out", "{root}/r2"],
     ["{flee}", "field '--params'"]),
    (["run", "{flee}", "--days", "3", "--quiet", "--out", "{root}/r3"], ["field '--days'"]),
    # keys into mapping parameters that name nothing of the scenario: were ignored
    (["ensemble", "{sc}", "--runs", "2", "--store", "{root}/e2.duckdb", "--vary",
      "departure_rate_per_day.iregular=uniform(0,1)"],
     ["field '--vary departure_rate_per_day.iregular'", "unknown status 'iregular'"]),
    (["run", "{sc}", "--params", "{bad}/keys.yaml", "--quiet", "--out", "{root}/r4"],
     ["{bad}/keys.yaml", "field 'parameters.departure_rate_per_day.iregular'"]),
    (["ensemble", "{sc}", "--runs", "2", "--store", "{root}/e3.duckdb", "--params",
      "{bad}/nationality.yaml"],
     ["{bad}/nationality.yaml", "field 'parameters.nationality_response.Martian'",
      "unknown nationality"]),
    # dates outside the period and a list naming nothing: were a fit of everything
    (["calibrate", "{sc}", "--until", "2030-01-01", "--budget", "40", "--out", "{root}/c1.yaml"],
     ["field '--until'", "outside the scenario's period"]),
    (["calibrate", "{sc}", "--measures", ",", "--budget", "40", "--out", "{root}/c2.yaml"],
     ["field '--measures'"]),
    # options that do nothing for what they were given with: were ignored
    (["report", "{run}", "--scenario", "{sc}", "--ensemble", "abc", "--out", "{root}/r.html"],
     ["{run}", "field '--ensemble'"]),
    # a Flee folder given to commands of travesia scenarios: was "scenario.yaml: missing file"
    (["forecast", "{flee}", "--at", "2020-01-03"], ["{flee}", "is a Flee folder"]),
    (["branches", "{flee}"], ["{flee}", "is a Flee folder"]),
    (["scenario", "show", "{flee}"], ["{flee}", "is a Flee folder"]),
])
def test_a_bad_option_is_one_line_naming_it(kit, args, names):
    where = {k: str(v) for k, v in kit.items()}
    code, output = invoke(*(a.format(**where) for a in args))
    assert_refused(code, output, *(n.format(**where) for n in names))


def test_a_store_that_cannot_be_written_is_refused_before_the_fit(kit, tmp_path):
    """It was found only when the fit, its runs done, came to write the store."""
    out = tmp_path / "fit" / "fitted.yaml"
    code, output = invoke("calibrate", kit["sc"], "--budget", "40", "--workers", "1", "--quiet",
                          "--out", out, "--store", kit["sc"] / "places.csv" / "fit.duckdb")
    assert_refused(code, output, str(kit["sc"] / "places.csv"), "field '--store'")
    assert not out.parent.exists()


# --- observations files given with --observations ------------------------------------------------

@pytest.mark.parametrize("file, field, what", [
    ("crossing.csv", "crossing", "unknown crossing 'Nowhere'"),
    ("compare.csv", "compare", "unknown measure 'helt'"),
    ("no_crossing.csv", "crossing", "is empty"),
])
@pytest.mark.parametrize("command", ["score", "calibrate", "forecast", "backtest"])
def test_an_observation_that_could_never_be_scored_names_its_row(kit, file, field, what,
                                                                 command):
    """Row 3 (the second row) names a crossing or measure the model has not: it was silently left
    out of the scores and the fit."""
    obs = kit["bad"] / file
    out = kit["root"] / f"out-{command}-{file}"
    args = {"score": ["score", kit["run"]],
            "calibrate": ["calibrate", kit["sc"], "--budget", "40", "--out", out / "f.yaml"],
            "forecast": ["forecast", kit["sc"], "--at", "2026-01-08", "--out", out],
            "backtest": ["backtest", kit["sc"], "--at", "2026-01-08", "--budget", "40",
                         "--out", out / "b.json"]}[command]
    code, output = invoke(*args, "--observations", obs)
    assert_refused(code, output, str(obs), "row 3", f"field '{field}'", what)


# --- fit files given with --fit ------------------------------------------------------------------

@pytest.fixture(scope="module")
def fit_file(kit):
    from travesia.inference.calibrate import ObservationModel, calibrate, write_fit

    fit = calibrate(str(kit["sc"]), budget=40, obs_model=ObservationModel(error=0.5), workers=1)
    return write_fit(fit, kit["root"] / "fit" / "fitted.yaml")["params"]


def _damaged_fit(fit_file: Path, folder: Path, posterior: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(fit_file, folder / "fitted.yaml")
    (folder / "fitted.posterior.csv").write_bytes(posterior)
    return folder / "fitted.yaml"


@pytest.mark.parametrize("name, posterior, names", [
    # was TypeError: a short row's missing cell is None
    ("ragged", b"draw,giveup_rate_per_day,departure_rate_per_day.irregular\n0,0.1,0.02\n1,0.2\n",
     ["row 3", "has 2 fields but the header has 3"]),
    ("binary", b"\xff\xfe\x00draw", ["not UTF-8"]),        # was UnicodeDecodeError
    # was an error naming no file: "field 'calibrate': a drawn value is not allowed"
    ("unknown", b"draw,giveup_rate_per_day,speed\n0,0.1,3\n", ["field 'speed'",
                                                             "unknown parameter"]),
])
def test_a_damaged_posterior_sample_names_its_file(kit, fit_file, name, posterior, names):
    fit = _damaged_fit(fit_file, kit["root"] / "fits" / name, posterior)
    code, output = invoke("forecast", kit["sc"], "--at", "2026-01-08", "--fit", fit, "--runs",
                          "2", "--workers", "1", "--quiet", "--out", kit["root"] / f"fc-{name}")
    assert_refused(code, output, str(fit.with_name("fitted.posterior.csv")), *names)


def test_a_fit_of_another_scenario_says_it_is_borrowed(kit, fit_file, tmp_path):
    other = tmp_path / "other" / "fitted.yaml"
    other.parent.mkdir()
    other.write_text(fit_file.read_text(encoding="utf-8").replace("scenario: tiny",
                                                                  "scenario: elsewhere"),
                     encoding="utf-8")
    shutil.copy(fit_file.with_name("fitted.posterior.csv"), other.with_name(
        "fitted.posterior.csv"))
    result = CliRunner().invoke(main, ["forecast", str(kit["sc"]), "--at", "2026-01-08", "--fit",
                                       str(other), "--runs", "2", "--workers", "1", "--quiet",
                                       "--out", str(tmp_path / "fc")])
    assert result.exit_code == 0, result.output
    assert f"the fit {other} is of scenario elsewhere, not tiny" in result.stderr


# --- run folders ---------------------------------------------------------------------------------

@pytest.mark.parametrize("damage, extra", [
    ("summary.json", []),                                           # was JSONDecodeError
    ("crossings.parquet", ["--observations", "{sc}/observations.csv"]),   # was ArrowInvalid
])
def test_score_of_a_damaged_run_folder_names_it(kit, tmp_path, damage, extra):
    run = tmp_path / "run"
    shutil.copytree(kit["run"], run)
    (run / damage).write_text("{not what it was", encoding="utf-8")
    code, output = invoke("score", run, *(a.format(sc=kit["sc"]) for a in extra))
    assert_refused(code, output, str(run), "cannot read the run's files")


def test_bands_of_a_crossing_and_a_place_at_once_is_refused(kit, tmp_path):
    """--crossing was ignored when --place and --state were given too."""
    from test_web_kit import make_store

    store, _ = make_store(kit["sc"], tmp_path / "ens.duckdb", runs=2)
    code, output = invoke("bands", store, "--crossing", "X-Y", "--place", "A", "--state",
                          "settled", "--out", tmp_path / "b")
    assert_refused(code, output, "field '--crossing'")


@pytest.mark.parametrize("command", ["score", "bands", "report"])
def test_a_file_that_is_not_a_store_is_named_plainly(kit, tmp_path, command):
    """A CSV given where a store goes: DuckDB said 'Cannot launch in-memory database in read-only
    mode!'."""
    csv_file = kit["sc"] / "places.csv"
    extra = {"score": [], "bands": ["--out", tmp_path / "b"],
             "report": ["--out", tmp_path / "r.html"]}[command]
    code, output = invoke(command, csv_file, *extra)
    assert_refused(code, output, str(csv_file), "not a valid DuckDB database file")
    assert "in-memory" not in output


# --- the web API ---------------------------------------------------------------------------------

def test_a_branches_body_with_an_unknown_field_is_refused_naming_it(tmp_path):
    from fastapi.testclient import TestClient
    from test_web_kit import make_store, web_scenario

    from travesia.web.app import create_app
    from travesia.web.sources import build

    scenario = web_scenario(tmp_path / "tiny")
    store, _ = make_store(scenario, tmp_path / "ens.duckdb", runs=2)
    view, catalogue = build(str(scenario), store, ())
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        r = client.post("/api/branches", content=json.dumps({"runs": 2, "rnus": 3}),
                        headers={"Content-Type": "application/json"})
    app.state.runner.shutdown()
    assert r.status_code == 400 and "field 'rnus'" in r.json()["error"], r.text


# --- worker processes ----------------------------------------------------------------------------

class _BrokenPool(cf.Executor):
    """A pool whose worker has died: every future holds BrokenProcessPool."""

    def submit(self, fn, /, *args, **kwargs):
        fut: cf.Future = cf.Future()
        fut.set_exception(BrokenProcessPool("A process in the process pool was terminated "
                                            "abruptly while the future was running or pending."))
        return fut


def _broken_executor(workers=None):
    return _BrokenPool(), lambda: 1


@pytest.mark.parametrize("command", ["calibrate", "forecast", "backtest", "branches",
                                     "ensemble"])
def test_a_worker_that_dies_is_one_clear_line(kit, tmp_path, monkeypatch, command):
    """A worker killed (out of memory) or a script without the __main__ guard breaks the pool:
    every command that runs on it says so in one line, exit status 1 (was a BrokenProcessPool
    traceback everywhere but `ensemble`)."""
    import travesia.runs.branches
    import travesia.runs.ensemble

    monkeypatch.setattr(travesia.runs.ensemble, "local_executor", _broken_executor)
    monkeypatch.setattr(travesia.runs.branches, "local_executor", _broken_executor)
    sc = kit["sc"]
    if command == "branches":
        sc = tmp_path / "br"
        shutil.copytree(kit["sc"], sc)
        (sc / "scenario.yaml").write_text(
            (sc / "scenario.yaml").read_text(encoding="utf-8") + "branches:\n- {id: calm, title: "
            "calm, weight: 1, after: '2026-01-06', source: hand, timeline: []}\n",
            encoding="utf-8")
    args = {"calibrate": ["--budget", "40", "--out", tmp_path / "fit.yaml"],
            "forecast": ["--at", "2026-01-08", "--budget", "40", "--out", tmp_path / "fc"],
            "backtest": ["--at", "2026-01-08", "--budget", "40", "--out", tmp_path / "bt.json"],
            "branches": ["--runs", "2", "--workers", "2", "--out", tmp_path / "b"],
            "ensemble": ["--runs", "2", "--store", tmp_path / "e.duckdb"]}[command]
    code, output = invoke(command, sc, *args, *(["--quiet"] if command != "branches" else []))
    assert_refused(code, output, WORKER_DIED, status=1)


def test_a_script_without_the_main_guard_gets_the_reason(tmp_path):
    """Worker processes import the script again; without `if __name__ == "__main__":` they die
    starting up, and the call says why instead of BrokenProcessPool."""
    folder = tiny_scenario(tmp_path / "sc", days=3)
    script = tmp_path / "unguarded.py"
    script.write_text("import travesia.api as tv\n"
                      f"tv.ensemble({str(folder)!r}, runs=2, store={str(tmp_path / 'e.duckdb')!r},"
                      " workers=1)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], check=False, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    last = [line for line in done.stderr.splitlines() if line.strip()
            and not line.startswith(("  ", "/"))][-1]
    assert last == f"travesia.errors.WorkerDied: {WORKER_DIED}", done.stderr[-2000:]


# --- the Python API ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, field, what", [
    # was a RuntimeError holding numpy's traceback text
    (lambda tv, sc: tv.run(sc, seed=-1), "seed", "0 to 2^63-1"),
    (lambda tv, sc: tv.run(sc, days=0), "days", "at least 1"),                   # was accepted
    (lambda tv, sc: tv.run(sc, params={"departure_rate_per_day": {"iregular": 1.0}}),
     "parameters.departure_rate_per_day.iregular", "unknown status"),            # was accepted
    (lambda tv, sc: tv.ensemble(sc, runs=2, base_seed=-5), "base_seed", "0 to 2^63-1"),
    (lambda tv, sc: tv.stocks(until="2025-99-01"), "until", "not a date"),       # was TypeError
    (lambda tv, sc: tv.forecast(sc, at="2026-13-01"), "--at", "not a date"),     # was TypeError
    (lambda tv, sc: tv.backtest(sc, ["8 Jan"]), "--at", "not a date"),
    (lambda tv, sc: tv.calibrate(sc, until="2026/01/08"), "--until", "not a date"),
])
def test_the_api_names_the_argument_it_refuses(kit, call, field, what):
    import travesia.api as tv
    from travesia.errors import ScenarioError

    with pytest.raises(ScenarioError) as refused:
        call(tv, str(kit["sc"]))
    assert f"field '{field}'" in refused.value.message and what in refused.value.message


# --- Flee folders --------------------------------------------------------------------------------

def test_a_misspelt_flee_setting_is_refused_and_a_key_flee_knows_is_not(kit, tmp_path):
    """`camp_movechanse` left camp_movechance at its default without a word; Flee's own keys
    that travesia does not read (empty_camps_on_day0, log_levels) stay ignored."""
    typo = tmp_path / "typo.yml"
    typo.write_text("move_rules:\n  camp_movechanse: 0.5\n", encoding="utf-8")
    code, output = invoke("run", kit["flee"], "--settings", typo, "--quiet", "--out",
                          tmp_path / "r1")
    assert_refused(code, output, str(typo), "field 'move_rules.camp_movechanse'",
                   "did you mean 'camp_movechance'")
    flee_own = tmp_path / "flee.yml"
    flee_own.write_text("log_levels:\n  agent: 0\nspawn_rules:\n  empty_camps_on_day0: false\n",
                        encoding="utf-8")
    code, output = invoke("run", kit["flee"], "--settings", flee_own, "--quiet", "--out",
                          tmp_path / "r2")
    assert code == 0, output
