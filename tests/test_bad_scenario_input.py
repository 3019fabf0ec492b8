"""A user's mistake in any file or field of a scenario folder ends `scenario check` and `run` alike
in exit status 2 and one line that names the file, the row (of a CSV) or the field, and says in
plain words what is wrong: never a traceback, never pydantic's "Input should be ...".

Each case breaks the tiny scenario (tests/scenario_kit.py: town A, posts XP|YP, destination D;
one crossing X-Y; 35 Venezuelans, irregular) in one way. The first group are mistakes that were
accepted, or told in pydantic's words or at pydantic's location, before this file; the second a
sample of those refused well already, kept so they stay so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from scenario_kit import tiny_scenario, write_csv

import travesia.model
from travesia.cli import main

INFORMAL = {"name": "path", "border": "X-Y", "from": "A", "to": "D", "capacity_per_day": 10,
            "detection": 0.2, "injury_risk": 0, "death_risk": 0, "cost": 0, "currency": "USD",
            "km": 10, "mode": "foot", "speed_km_per_day": "", "source": "hand"}
INFLOW = {"place": "A", "nationality": "Venezuela", "status": "irregular",
          "start": "2026-01-01", "end": "2026-01-03", "people_per_day": 5, "mode": "settle"}
BRANCHES = [{"id": "calm", "weight": 0.5, "after": "2026-01-05", "source": "hand"},
            {"id": "storm", "weight": 0.5, "after": "2026-01-05", "source": "hand",
             "timeline": [{"date": "2026-01-06", "type": "capacity", "crossing": "X-Y",
                           "post": "entry", "per_day": 2, "source": "hand"}]}]


def _rates_text() -> str:
    """The package's impact rates, as a scenario would ship its own."""
    return (Path(travesia.model.__file__).parent / "impact_rates.csv").read_text(encoding="utf-8")


def with_fit(sample: str):
    """A fit file named by scenario.yaml, with `sample` as its posterior sample."""
    def mutate(folder: Path) -> None:
        (folder / "fit.yaml").write_text("parameters: {giveup_rate_per_day: 0.2}\n"
                                         "fit: {scenario: tiny}\n", encoding="utf-8")
        (folder / "fit.posterior.csv").write_text(sample, encoding="utf-8")
        setting("fit", "fit.yaml")(folder)
    return mutate


SOUND_SAMPLE = "draw,giveup_rate_per_day,departure_rate_per_day.irregular\n0,0.1,0.5\n1,0.3,0.9\n"


def with_observations(crossing: str, compare: str):
    """observations.csv, named by scenario.yaml, with one count compared with a model series."""
    def mutate(folder: Path) -> None:
        (folder / "observations.csv").write_text(
            "date,place,measure,value,source,crossing,compare\n"
            f"2026-01-03,the line at XP,people waiting,12,hand,{crossing},{compare}\n",
            encoding="utf-8")
        setting("observations", "observations.csv")(folder)
    return mutate


def yaml_edit(fn):
    def mutate(folder: Path) -> None:
        path = folder / "scenario.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fn(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return mutate


def event(**fields):
    """Add one timeline event (dated 2 Jan, citing `hand` unless told otherwise)."""
    return yaml_edit(lambda d: d["timeline"].append({"date": "2026-01-02", "source": "hand",
                                                     **fields}))


def setting(key: str, value):
    return yaml_edit(lambda d: d.update({key: value}))


def parameter(key: str, value):
    return yaml_edit(lambda d: d["parameters"].update({key: value}))


def prior(name: str, **spec):
    return yaml_edit(lambda d: d.setdefault("priors", {}).update({name: spec}))


def text_edit(rel: str, old: str, new: str):
    def mutate(folder: Path) -> None:
        text = (folder / rel).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        (folder / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
    return mutate


def with_file(rel: str, rows: list[dict], then=None):
    """Write an optional file (inflows.csv, informal_crossings.csv) sound, then break it."""
    def mutate(folder: Path) -> None:
        write_csv(folder / rel, rows)
        if then:
            then(folder)
    return mutate


def with_branches(*edits):
    def mutate(folder: Path) -> None:
        yaml_edit(lambda d: d.update({"branches": [dict(b) for b in BRANCHES]}))(folder)
        for fn in edits:
            yaml_edit(fn)(folder)
    return mutate


# name: (mutation, what the one error line must hold besides the file's name)
FIXED = {
    # scenario.yaml: accepted before
    "a key written twice in scenario.yaml": (
        lambda f: (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8") + "start: '2026-01-02'\n",
            encoding="utf-8"),
        ["scenario.yaml", "row ", "key 'start' given twice (first on line"]),
    "a negative departure rate": (
        parameter("departure_rate_per_day", {"regular": 1.0, "irregular": -0.5}),
        ["scenario.yaml", "field 'parameters.departure_rate_per_day.irregular'",
         "must be at least 0 (got -0.5)"]),
    "a negative nationality response, at the nationality's key": (
        parameter("nationality_response", {"Venezuela": -2}),
        ["scenario.yaml", "field 'parameters.nationality_response.Venezuela'",
         "must be at least 0"]),
    "a nationality response for a nationality the scenario lacks": (
        parameter("nationality_response", {"Atlantis": 2.0}),
        ["scenario.yaml", "field 'parameters.nationality_response.Atlantis'",
         "unknown nationality 'Atlantis' (the scenario has: Venezuela)"]),
    "a prior on the departure rate of an undeclared status": (
        prior("departure_rate_per_day.asylum", dist="uniform", low=0.1, high=0.2),
        ["scenario.yaml", "field 'priors.departure_rate_per_day.asylum'",
         "unknown status 'asylum'"]),
    "a prior on the preference for an unknown crossing": (
        prior("crossing_preference.Nowhere.Venezuela", dist="uniform", low=0, high=1),
        ["scenario.yaml", "field 'priors.crossing_preference.Nowhere.Venezuela'",
         "unknown crossing 'Nowhere' (the scenario has: X-Y)"]),
    "a prior that draws a negative threat response": (
        prior("threat_response", dist="uniform", low=-1, high=2),
        ["scenario.yaml", "field 'priors.threat_response'", "uniform reaches -1",
         "must be at least 0"]),
    "a prior that draws a negative inflow": (
        with_file("inflows.csv", [{**INFLOW, "source": "hand"}],
                  then=prior("inflows[1].people_per_day", dist="uniform", low=-10, high=10)),
        ["scenario.yaml", "field 'priors.inflows[1].people_per_day'", "uniform reaches -10",
         "must be at least 0"]),
    "a list of values for a number holding a word": (
        prior("news_delay_days", dist="values", values=[1, 2, "soon"]),
        ["scenario.yaml", "field 'priors.news_delay_days'", "values reaches 'soon'",
         "not a whole number"]),
    "an event at a crossing spelt with another dash, told the crossings there are": (
        event(type="capacity", crossing="X–Y", post="entry", per_day=5),
        ["scenario.yaml", "field 'timeline[0].crossing'",
         "unknown crossing 'X–Y' (crossings.csv has: X-Y)"]),
    "an event id left empty": (
        event(type="threat", level=0.5, id=""),
        ["scenario.yaml", "field 'timeline[0].id'", "is empty"]),
    "threat places given as a mapping": (
        event(type="threat", level=0.5, places={"A": 1}),
        ["scenario.yaml", "field 'timeline[0].places'", "must be a list of names"]),
    # scenario.yaml: told in pydantic's words or at pydantic's location before
    "an event of an unknown type": (
        event(type="tsunami"),
        ["scenario.yaml", "field 'timeline[0].type'", "unknown type 'tsunami' (known: threat,"]),
    "an event without a type": (
        event(level=0.5),
        ["scenario.yaml", "field 'timeline[0].type'", "missing `type:` (one of: threat,"]),
    "a field a deadline event does not take": (
        event(type="deadline", deadline="2026-01-05", statuses=["irregular"], crossing="X-Y",
              rush_response=-1),
        ["scenario.yaml", "field 'timeline[0].rush_response'",
         "not a field of a deadline event (fields: date, source,"]),
    "an event that is not a mapping": (
        yaml_edit(lambda d: d.update({"timeline": ["threat"]})),
        ["scenario.yaml", "field 'timeline[0]'", "must be a mapping (date, type, source"]),
    "a fit naming a scenario beside an unknown key": (
        setting("fit", {"scenario": "chile-peru-2025", "draws": 5}),
        ["scenario.yaml", "field 'fit.draws'", "not a field of `fit:` (fields: scenario)"]),
    "a fit that is a number": (
        setting("fit", 5),
        ["scenario.yaml", "field 'fit'", "must be a file name (fitted_params.yaml) or "
                                         "{scenario: NAME}"]),
    "a branch id with capitals and a space": (
        with_branches(lambda d: d["branches"][1].update({"id": "Big Storm"})),
        ["scenario.yaml", "field 'branches[1].id'", "must be lower-case letters, digits and '-'"]),
    "a branch weight that is a word": (
        with_branches(lambda d: d["branches"][0].update({"weight": "likely"})),
        ["scenario.yaml", "field 'branches[0].weight'", "not a number (got 'likely')"]),
    "a date that does not exist": (
        event(type="threat", level=0.5, announced="2026-02-30"),
        ["scenario.yaml", "field 'timeline[0].announced'",
         "not a date (write YYYY-MM-DD, e.g. 2026-01-31) (got '2026-02-30')"]),
    "statuses given as one word": (
        setting("statuses", "irregular"),
        ["scenario.yaml", "field 'statuses'", "must be a list (e.g. [a, b]) (got 'irregular')"]),
    "a tab indenting scenario.yaml": (
        lambda f: (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8") + "groups:\n\t- child\n",
            encoding="utf-8"),
        ["scenario.yaml", "row ", "a tab character: YAML indents with spaces"]),
    "a removal of fewer than nobody a day": (
        event(type="removal", **{"from": "A"}, days=3, per_day=-2, mode="bus", to="V"),
        ["scenario.yaml", "field 'timeline[0].per_day'", "must be at least 0"]),
    # CSV files: told in pydantic's words before
    "a word in a number column": (
        text_edit("routes.csv", "A,XP,1.0", "A,XP,far"),
        ["routes.csv", "row 2", "field 'distance_km'", "not a number (got 'far')"]),
    "a fraction of a person": (
        text_edit("population.csv", ",35,", ",2.5,"),
        ["population.csv", "row 2", "field 'people'", "not a whole number (got '2.5')"]),
    "a place kind not in the list": (
        text_edit("places.csv", ",destination,", ",village,"),
        ["places.csv", "row 5", "field 'kind'", "must be 'city', 'post' or 'destination' (got "
                                                "'village')"]),
    "'none' beside a document": (
        text_edit("documents.csv", ",none,1,", ",none;visa,1,"),
        ["documents.csv", "row 2", "field 'documents'", "'none' stands alone"]),
    "a document twice in one set": (
        text_edit("documents.csv", ",none,1,", ",visa;visa,1,"),
        ["documents.csv", "row 2", "field 'documents'", "document 'visa' written twice"]),
    "documents of a nationality nobody has": (
        text_edit("documents.csv", "Venezuela,irregular,none", "Venezuala,irregular,none"),
        ["documents.csv", "row 2", "field 'nationality'",
         "no people of nationality 'Venezuala' in population.csv or inflows.csv: a misspelt"]),
    "a population cell written twice, told without Python's quotes": (
        lambda f: (f / "population.csv").write_text(
            (f / "population.csv").read_text(encoding="utf-8")
            + (f / "population.csv").read_text(encoding="utf-8").splitlines()[1] + "\n",
            encoding="utf-8"),
        ["population.csv", "row 3", "field 'status'", "duplicated population cell (place, "
         "nationality, status) (A, Venezuela, irregular) (first on row 2)"]),
    "an informal crossing caught more often than always": (
        with_file("informal_crossings.csv", [{**INFORMAL, "detection": 1.5}]),
        ["informal_crossings.csv", "row 2", "field 'detection'", "must be at most 1 (got '1.5')"]),
    "an inflow starting on a day that does not exist": (
        with_file("inflows.csv", [{**INFLOW, "start": "2026-13-01", "source": "hand"}]),
        ["inflows.csv", "row 2", "field 'start'", "not a date (write YYYY-MM-DD"]),
    "a file saved with semicolons": (
        lambda f: (f / "routes.csv").write_text(
            (f / "routes.csv").read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8"),
        ["routes.csv", "row 1", "separated by semicolons", "separated by commas"]),
    # a fit's posterior sample was read but not checked: an ensemble drawing from it failed run
    # by run on a damaged draw
    "a posterior draw that is not a number": (
        with_fit(SOUND_SAMPLE.replace("1,0.3,", "1,nan,")),
        ["fit.posterior.csv", "row 3", "field 'giveup_rate_per_day'",
         "not a finite number (got 'nan')"]),
    "a posterior draw a parameter cannot take": (
        with_fit(SOUND_SAMPLE.replace(",0.9", ",-0.9")),
        ["fit.posterior.csv", "row 3", "field 'departure_rate_per_day.irregular'",
         "must be at least 0 (got -0.9)"]),
    "a posterior column of an unknown parameter": (
        with_fit(SOUND_SAMPLE.replace("giveup_rate_per_day", "give_up")),
        ["fit.posterior.csv", "row 1", "field 'give_up'", "unknown parameter 'give_up'"]),
    # an observation compared with a series the model does not have was dropped from every score
    # and fit unseen
    "an observation compared at a crossing the scenario lacks": (
        with_observations("X–Y", "held"),
        ["observations.csv", "row 2", "field 'crossing'", "unknown crossing 'X–Y'",
         "needs a crossing of crossings.csv: X-Y"]),
    "an observation compared with an unknown measure": (
        with_observations("X-Y", "waiting"),
        ["observations.csv", "row 2", "field 'compare'", "unknown measure 'waiting'"]),
    # a scenario's own impact_rates.csv: a stray field was dropped unseen, the error for a file
    # not in UTF-8 named a Python exception, and a BOM (legal everywhere else) broke its header
    "impact rates with a stray field": (
        lambda f: (f / "impact_rates.csv").write_text(
            _rates_text().replace("\n", ",stray\n", 2).replace(",stray", "", 1),
            encoding="utf-8"),
        ["impact_rates.csv", "row 2", "has a different number of fields than the header's 11"]),
    "impact rates not in UTF-8": (
        lambda f: (f / "impact_rates.csv").write_bytes(_rates_text().encode() + b"\xe9\n"),
        ["impact_rates.csv", "not UTF-8 text"]),
}

ALREADY = {
    "a missing required file": (
        lambda f: (f / "documents.csv").unlink(),
        ["documents.csv", "missing file"]),
    "a file that is not UTF-8": (
        lambda f: (f / "places.csv").write_bytes((f / "places.csv").read_bytes() + b"\xe9\n"),
        ["places.csv", "not UTF-8"]),
    "a removal from an unknown place": (
        event(type="removal", **{"from": "Nowhere"}, days=3, per_day=2, mode="bus", to="V"),
        ["scenario.yaml", "field 'timeline[0].from'", "'Nowhere' is neither a city"]),
    "a reception cap for an unknown country": (
        event(type="reception", country="Atlantis", total=10),
        ["scenario.yaml", "field 'timeline[0].country'", "unknown country 'Atlantis'"]),
    "a deadline at an unknown crossing": (
        event(type="deadline", deadline="2026-01-05", statuses=["irregular"], crossing="Q"),
        ["scenario.yaml", "field 'timeline[0].crossing'", "unknown crossing 'Q'"]),
    "announced after the event": (
        event(type="threat", level=0.5, announced="2026-01-04"),
        ["scenario.yaml", "field 'timeline[0].announced'", "is after the event's date"]),
    "two events of one id": (
        lambda f: (event(type="threat", level=0.5, id="t")(f),
                   event(type="threat", level=0.2, id="t")(f)),
        ["scenario.yaml", "field 'timeline[1].id'", "duplicate event id 't'"]),
    "branch weights that do not sum to 1": (
        with_branches(lambda d: d["branches"][1].update({"weight": 0.9})),
        ["scenario.yaml", "field 'branches'", "sum to 1.4, not 1"]),
    "a branch after the period": (
        with_branches(lambda d: d["branches"][1].update({"after": "2027-01-01"})),
        ["scenario.yaml", "field 'branches[1].after'", "outside the period"]),
    "a prior on an unknown data row": (
        prior("documents[Atlantis,irregular,none].share", dist="uniform", low=0, high=1),
        ["scenario.yaml", "field 'priors.documents[Atlantis,irregular,none].share'",
         "no row Atlantis,irregular,none in documents.csv"]),
    "a fit of an unknown built-in scenario": (
        setting("fit", {"scenario": "atlantis-2030"}),
        ["scenario.yaml", "field 'fit.scenario'", "no built-in scenario 'atlantis-2030'"]),
    "a route from a place to itself": (
        text_edit("routes.csv", "YP,D,100", "D,D,100"),
        ["routes.csv", "row 3", "field 'to'", "a route from a place to itself"]),
    "a crossing whose posts are one place": (
        text_edit("crossings.csv", "X-Y,XP,YP,", "X-Y,XP,XP,"),
        ["crossings.csv", "row 2", "field 'entry_post'", "the same place"]),
    "an inflow at an unknown place": (
        with_file("inflows.csv", [{**INFLOW, "place": "Nowhere", "source": "hand"}]),
        ["inflows.csv", "row 2", "field 'place'", "unknown place 'Nowhere'"]),
    "an informal crossing beside an unknown crossing": (
        with_file("informal_crossings.csv", [{**INFORMAL, "border": "Q"}]),
        ["informal_crossings.csv", "row 2", "field 'border'", "'Q' is neither a crossing"]),
    "a status scenario.yaml does not declare": (
        text_edit("population.csv", ",irregular,", ",asylum,"),
        ["population.csv", "row 2", "field 'status'", "unknown status 'asylum'"]),
}


def _invoke(*args) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output, exc


@pytest.mark.parametrize("case", list(FIXED) + list(ALREADY))
def test_a_mistake_is_one_plain_line_and_exit_2(tmp_path, case):
    mutate, words = {**FIXED, **ALREADY}[case]
    folder = tiny_scenario(tmp_path / "sc")
    mutate(folder)
    for args in (("scenario", "check", folder),
                 ("run", folder, "--days", "5", "--quiet", "--out", tmp_path / "out")):
        code, out, exc = _invoke(*args)
        assert exc is None and "Traceback" not in out, (args[0], out, exc)
        assert code == 2, (args[0], code, out)
        errors = [line for line in out.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, out
        line = errors[0]
        assert str(folder) in line, line                   # the file, with its folder
        assert "row " in line or "field '" in line or "missing file" in line \
            or "not UTF-8" in line, line
        for word in words:
            assert word in line, (word, line)
        assert "Input should" not in line and "Value error" not in line, line
        assert not (tmp_path / "out").exists()


def test_the_tiny_scenario_and_its_sound_extras_pass(tmp_path):
    """The files the cases break are sound before they are broken."""
    folder = tiny_scenario(tmp_path / "sc")
    with_file("inflows.csv", [{**INFLOW, "source": "hand"}])(folder)
    with_file("informal_crossings.csv", [INFORMAL])(folder)
    with_branches()(folder)
    prior("threat_response", dist="uniform", low=0, high=2)(folder)
    with_fit(SOUND_SAMPLE)(folder)
    with_observations("X-Y", "held")(folder)
    (folder / "impact_rates.csv").write_bytes(b"\xef\xbb\xbf" + _rates_text().encode())   # a BOM
    code, out, exc = _invoke("scenario", "check", folder)
    assert code == 0 and exc is None, out
    assert "a fit of 2 draws" in out and "1 observations" in out
