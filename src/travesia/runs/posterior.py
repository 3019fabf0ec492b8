"""A fit read back: the posterior a scenario's forecasts draw from (docs/calibration.md, "The fit is
the forecast").

`travesia calibrate` writes a fit file (`parameters:` posterior medians, `fit:` what was fitted to
what) and `<stem>.posterior.csv` beside it (posterior draws, a column per fitted name). A
scenario.yaml names the fit its ensembles draw from with `fit: FILE` (a file in its folder) or
`fit: {scenario: NAME}` (the fit a built-in scenario ships, borrowed unchanged).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from travesia.errors import ScenarioError
from travesia.runs.priors import check_name, with_values
from travesia.scenario.data_values import check_data_name, is_data_name, with_data_values
from travesia.scenario.load import file_inside
from travesia.scenario.yamlfile import read_yaml_mapping


@dataclass(frozen=True)
class LoadedFit:
    """What a fit file and its posterior sample say."""

    path: Path
    parameters: dict[str, Any]                  # posterior medians (the `parameters:` of the file)
    names: list[str]                            # the fitted names, columns of the sample
    sample: list[dict[str, Any]] = field(repr=False)   # posterior draws
    sample_digest: str = ""                     # identifies the sample (ensembles drawn from it)
    scenario: str | None = None                 # what the fit was fitted to
    scenario_hash: str | None = None
    observations_until: str | None = None
    obs_model: dict[str, float] = field(default_factory=dict)
    borrowed_from: str | None = None            # the built-in scenario lending it, if borrowed
    lender_hash: str | None = None              # the lender's content hash now

    @property
    def label(self) -> str:
        """How a store records draws from it."""
        return (f"posterior {self.path.stem}.posterior.csv "
                f"({len(self.sample)} draws, {self.sample_digest})")


def fit_section(path: str | Path) -> dict | None:
    """The `fit:` mapping of a parameters file (None for a plain parameters file)."""
    data = read_yaml_mapping(path, missing="parameters file not found",
                             expected="expected a mapping of parameter names to values",
                             empty_ok=True)
    section = data.get("fit")
    return section if isinstance(section, dict) else None


def _number(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text                               # a `values` prior of words


def read_fit(path: str | Path) -> LoadedFit:
    """A fit file and the posterior sample beside it."""
    path = Path(path)
    data = read_yaml_mapping(path, missing="fit file not found", expected="expected a fit file "
                             "(parameters:, fit:) as `travesia calibrate` writes", empty_ok=True)
    section = data.get("fit")
    if not isinstance(section, dict):
        raise ScenarioError("not a fit file: no `fit:` section (write one with travesia calibrate)",
                            file=path,
                            field="fit")
    sample_path = path.with_name(str(section.get("posterior_sample")
                                     or f"{path.stem}.posterior.csv"))
    if not sample_path.is_file():
        raise ScenarioError(f"the posterior sample {sample_path.name} is missing beside the fit "
                            "file "
                            "(travesia calibrate writes both)", file=sample_path)
    raw = sample_path.read_bytes()
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    if not rows or len(rows) < 2 or rows[0][:1] != ["draw"]:
        raise ScenarioError("expected a header 'draw,NAME,...' and at least one draw",
                            file=sample_path, row=1)
    names = [n.strip() for n in rows[0][1:]]
    sample = []
    for line, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(rows[0]):
            raise ScenarioError(f"has {len(cells)} fields but the header has {len(rows[0])}",
                                file=sample_path,
                                row=line)
        sample.append({n: _number(c.strip()) for n, c in zip(names, cells[1:])})
    obs = {k: float(section[k]) for k in ("obs_error", "outlier_share",
                                          "outlier_error") if k in section}
    params = data.get("parameters")
    return LoadedFit(path=path, parameters=params if isinstance(params, dict) else {}, names=names,
                     sample=sample,
                     sample_digest=hashlib.sha256(raw).hexdigest()[:12],
                     scenario=section.get("scenario"),
                     scenario_hash=section.get("scenario_hash"),
                     observations_until=str(section["observations_until"])
                     if section.get("observations_until")
                     else None, obs_model=obs)


def scenario_fit(sc) -> LoadedFit | None:
    """The fit a loaded scenario's `fit:` names (None if it names none), its sample checked
    against the scenario (`check_sample`)."""
    fit = _named_fit(sc)
    if fit is not None:
        check_sample(sc, fit)
    return fit


def check_sample(sc, fit: LoadedFit) -> None:
    """Every column of a posterior sample names a parameter or a data number of the scenario, and
    every draw is a finite number it may take (its smallest and largest tried), so that an
    ensemble drawing from it does not fail run by run on a damaged file."""
    sample_path = fit.path.with_name(f"{fit.path.stem}.posterior.csv")
    for name in fit.names:
        try:
            if is_data_name(name):
                check_data_name(sc, name, file=sample_path, field=name)
            else:
                check_name(name, file=sample_path, field=name)
        except ScenarioError as exc:      # a column of the header row
            raise ScenarioError(exc.reason, file=sample_path, row=1, field=name) from None
        numbers = []
        for row, draw in enumerate(fit.sample, start=2):
            value = draw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise ScenarioError(f"not a finite number (got '{str(value)[:40]}')",
                                    file=sample_path, row=row, field=name)
            numbers.append((value, row))
        for value, row in (min(numbers), max(numbers)) if numbers else ():
            try:
                if is_data_name(name):
                    with_data_values(sc, {name: value})
                else:
                    with_values(sc.params, {name: value}, where=name)
            except ScenarioError as exc:
                raise ScenarioError(exc.reason.split("): ", 1)[-1], file=sample_path, row=row,
                                    field=name) from None


def _named_fit(sc) -> LoadedFit | None:
    ref = sc.spec.fit
    if ref is None:
        return None
    ypath = sc.folder / "scenario.yaml"
    if isinstance(ref, str):
        return read_fit(file_inside(sc.folder, ref, file=ypath, field="fit"))
    from travesia.scenario.load import builtin_scenarios, load_scenario

    if ref.scenario not in builtin_scenarios():
        raise ScenarioError(f"no built-in scenario '{ref.scenario}' to borrow a fit from "
                            "(built-in: "
                            f"{', '.join(builtin_scenarios())})", file=ypath, field="fit.scenario")
    lender = load_scenario(ref.scenario)
    if not isinstance(lender.spec.fit, str):
        raise ScenarioError(f"built-in scenario '{ref.scenario}' ships no fit of its own to borrow",
                            file=ypath,
                            field="fit.scenario")
    fit = read_fit(file_inside(lender.folder, lender.spec.fit,
                               file=lender.folder / "scenario.yaml", field="fit"))
    # a borrowed fit lends behaviour only: numbers fitted in the lender's data files are its facts
    names = [n for n in fit.names if not is_data_name(n)]
    sample = [{n: draw[n] for n in names} for draw in fit.sample]
    return dataclasses.replace(fit, names=names, sample=sample, borrowed_from=ref.scenario,
                               lender_hash=lender.content_hash)


def stale_warning(path: str | Path, sc, *, fit: dict | None = None,
                  borrowed_from: str | None = None,
                  lender_hash: str | None = None) -> str | None:
    """One line if the fit file at `path` was fitted to another version of `sc` (or to another
    scenario that `sc` does not borrow its fit from); None for a current fit or a plain params
    file."""
    section = fit if fit is not None else fit_section(path)
    if not section or not section.get("scenario"):
        return None
    fitted, fitted_hash = section.get("scenario"), section.get("scenario_hash")
    if borrowed_from is not None and fitted == borrowed_from:
        if lender_hash and fitted_hash and fitted_hash != lender_hash:
            return (f"{path} was fitted to another version of {fitted} (hash {fitted_hash}, now "
                    f"{lender_hash}): "
                    f"refit with travesia calibrate")
        return None
    if fitted != sc.name:
        return (f"{path} was fitted to scenario {fitted}, not {sc.name}: refit with travesia "
                "calibrate "
                f"(or borrow it in scenario.yaml with `fit: {{scenario: {fitted}}}`)")
    if fitted_hash and fitted_hash != sc.content_hash:
        return (f"{path} was fitted to another version of {sc.name} (hash {fitted_hash}, now "
                f"{sc.content_hash}): "
                f"refit with travesia calibrate")
    return None


def scenario_fit_warning(sc, fit: LoadedFit) -> str | None:
    """The stale-fit line for the fit a scenario's own `fit:` names."""
    section = {"scenario": fit.scenario, "scenario_hash": fit.scenario_hash}
    return stale_warning(fit.path, sc, fit=section, borrowed_from=fit.borrowed_from,
                         lender_hash=fit.lender_hash)


def posterior_values(fit: LoadedFit, base_seed: int, run_index: int,
                     names: list[str] | None = None) -> dict[str, Any]:
    """The values of run `run_index`: one posterior draw, chosen from the base seed and the index
    alone (the same whatever the number of runs, as priors.py's draws)."""
    rng = np.random.default_rng([base_seed & 0xFFFFFFFF, zlib.crc32(b"posterior"), run_index])
    draw = fit.sample[int(rng.integers(len(fit.sample)))]
    return {n: draw[n] for n in (fit.names if names is None else names)}


def priors_from_fit(fit: LoadedFit, priors: dict[str, Any], *,
                    scenario_name: str | None = None) -> list[Any]:
    """Priors shaped like a fit's posterior, to fit another episode (or a later stretch of the
    same one) starting from what an earlier fit learned (`--prior-from FIT`).

    For each behaviour parameter the fit holds and `priors` (the scenario's) also has: a normal
    with the posterior draws' mean and sd, bounded like the scenario's prior (a lognormal prior
    gives a lognormal with the draws' log mean and sd). A list of values (`[1,2,3]`) keeps the
    scenario's prior: its weights cannot be written. A fit's data numbers (document shares,
    stocks) are its own scenario's facts and are left out, as a borrowed fit's are. Only the
    margins carry over, not the correlations between parameters."""
    from travesia.runs.priors import Prior

    out = []
    for name in fit.names:
        prior = priors.get(name)
        if prior is None or is_data_name(name) or prior.dist == "values":
            continue
        draws = np.array([float(d[name]) for d in fit.sample], dtype=float)
        if prior.dist == "lognormal":
            if np.any(draws <= 0):
                continue
            logs = np.log(draws)
            out.append(Prior(name, "lognormal", (float(np.exp(logs.mean())),
                                                 max(float(logs.std()), 1e-6))))
            continue
        low, high = prior.args if prior.dist == "uniform" else prior.clip
        sd = max(float(draws.std()), 1e-9 * max(abs(float(draws.mean())), 1.0))
        out.append(Prior(name, "normal", (float(draws.mean()), sd), clip=(low, high)))
    if not out:
        raise ScenarioError(f"the fit holds none of the parameters "
                            f"{scenario_name or 'the scenario'} puts a prior on "
                            f"({', '.join(sorted(priors)) or 'none'})", file=fit.path)
    return out
