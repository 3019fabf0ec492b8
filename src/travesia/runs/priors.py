"""Uncertain parameters: the distributions an ensemble draws them from, and how they are written.

Two ways to say a parameter is uncertain, with the same four distributions:

* on the command line, `--vary NAME=DIST`:
  `giveup_rate_per_day=uniform(0.05,0.3)`, `departure_rate_per_day.irregular=lognormal(2e-5,0.7)`,
  `news_delay_days=[1,2,3]`, `belief_weight=normal(1.5,0.3)`;
* in a scenario's `priors:` mapping, one entry per parameter (the defaults of `travesia ensemble`):

  ```yaml
  priors:
    giveup_rate_per_day: {dist: uniform, low: 0.05, high: 0.3}
    belief_weight: {dist: normal, mean: 1.5, sd: 0.3, low: 0, high: 5}   # low/high: optional clip
    departure_rate_per_day.irregular: {dist: lognormal, median: 2.0e-5, sigma: 0.7}
    news_delay_days: {dist: values, values: [1, 2, 3]}
  ```

A dotted name reaches into a mapping parameter (`departure_rate_per_day.irregular`,
`crossing_preference.Chacalluta.Venezuela`); a name with a row key in brackets is a number of a
data table (`documents[Venezuela,irregular,none].share`: scenario/data_values.py). Draws are
seeded from the ensemble's base seed, the parameter's name and the run's index, so run i gets the
same values whatever the number of runs and whichever other parameters vary (the same idea as
the engine's common random numbers).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_origin

import numpy as np

from travesia.errors import ScenarioError
from travesia.scenario.parameters import Parameters, load_params_file, parameters_from
from travesia.scenario.data_values import (
    TABLES,
    check_data_name,
    is_data_name,
    is_integer_name,
    parse_data_name,
    split_values,
    with_data_values,
)

DISTRIBUTIONS = ("uniform", "normal", "lognormal", "values")
_FIELDS = {  # the fields of each distribution in a scenario's priors:, in the order of the CLI form
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "values": ("values",),
}
_OPTIONAL = {"normal": ("low", "high")}


@dataclass(frozen=True)
class Prior:
    """One parameter's distribution. `args` holds the fields of `_FIELDS[dist]` in order; `clip`
    the optional (low, high) bounds of a normal."""

    name: str
    dist: str
    args: tuple
    clip: tuple[float | None, float | None] = (None, None)

    def draw(self, base_seed: int, run_index: int) -> Any:
        """The value of run `run_index` (independent of how many runs the ensemble has)."""
        rng = np.random.default_rng([base_seed & 0xFFFFFFFF, zlib.crc32(self.name.encode()),
                                     run_index])
        match self.dist:
            case "uniform":
                value = float(rng.uniform(*self.args))
            case "normal":
                value = float(rng.normal(*self.args))
                low, high = self.clip
                value = max(value, low) if low is not None else value
                value = min(value, high) if high is not None else value
            case "lognormal":
                median, sigma = self.args
                value = float(median * math.exp(sigma * rng.standard_normal()))
            case _:
                value = self.args[0][int(rng.integers(len(self.args[0])))]
        if _is_int_field(self.name) and isinstance(value, float):
            value = int(round(value))
        return value

    def text(self) -> str:
        """The CLI form: uniform(0.05,0.3), [1,2,3]."""
        if self.dist == "values":
            return json.dumps(list(self.args[0]), separators=(",", ":"))
        extra = [f"{k}={v:g}" for k, v in zip(("low", "high"), self.clip) if v is not None]
        return f"{self.dist}({','.join([f'{a:g}' for a in self.args] + extra)})"


# --- names --------------------------------------------------------------------------------------

def _is_int_field(name: str) -> bool:
    if is_data_name(name):
        return is_integer_name(name)
    info = Parameters.model_fields.get(name)
    return info is not None and info.annotation is int


def check_name(name: str, *, file: str | Path | None = None, field: str | None = None) -> None:
    """A name is a parameter, parameter.key[.key] into a mapping parameter, or table[row].column
    of a data table (whose row is checked against the scenario: `check_scenario_names`)."""
    where = field or name
    if is_data_name(name):
        parse_data_name(name, file=file, field=where)
        return
    parts = name.split(".")
    if not name or any(not p for p in parts):
        raise ScenarioError(f"not a parameter name: '{name}'", file=file, field=where)
    head = parts[0]
    if head not in Parameters.model_fields:
        raise ScenarioError(f"unknown parameter '{head}' (see `travesia parameters`)", file=file,
                            field=where)
    is_mapping = get_origin(Parameters.model_fields[head].annotation) is dict
    if len(parts) > 1 and not is_mapping:
        raise ScenarioError(f"'{head}' is a number, not a mapping: it takes no '.{parts[1]}'",
                            file=file,
                            field=where)
    if len(parts) == 1 and is_mapping:
        keys = ", ".join(f"{head}.{k}" for k in (Parameters.model_fields[head].default
                                                 or {})) or f"{head}.KEY"
        raise ScenarioError(f"'{head}' is a mapping: name one of its keys ({keys})", file=file,
                            field=where)


def check_scenario_names(scenario, names, *, field: str = "--vary") -> None:
    """Each data name among `names` addresses a row of this scenario, and each key of a mapping
    parameter (departure_rate_per_day.irregular) names a status, group, nationality or crossing of
    it."""
    for name in names:
        if is_data_name(name):
            check_data_name(scenario, name, field=f"{field} {name}")
        elif "." in name:
            head, *keys = name.split(".")
            _check_keys(scenario, head, keys, field=f"{field} {name}")


def _mapping_keys(scenario) -> dict[str, tuple[tuple[str, Sequence[str]], ...]]:
    """What the keys of each mapping parameter name in this scenario, level by level: (what,
    the names it may be)."""
    v = scenario.vocabulary
    crossings = [c.name for c in scenario.crossings] + [i.name for i in scenario.informal]
    return {"departure_rate_per_day": (("status", v.statuses),),
            "group_response": (("group", v.groups),),
            "nationality_response": (("nationality", v.nationalities), ("status", v.statuses)),
            "crossing_preference": (("crossing", crossings), ("nationality", v.nationalities))}


def _check_keys(scenario, head: str, keys: list[str], *, field: str,
                file: str | Path | None = None) -> None:
    for (what, known), key in zip(_mapping_keys(scenario).get(head, ()), keys):
        if key not in known:
            raise ScenarioError(f"unknown {what} '{str(key)[:40]}' (the scenario has: "
                                f"{', '.join(known) or 'none'})", file=file, field=field)


def params_with_file(scenario, params_file: str | Path | None) -> Parameters:
    """The scenario's parameters, overridden by a --params file when one is given (checked
    against the scenario's names)."""
    if not params_file:
        return scenario.params
    params = load_params_file(params_file, base=scenario.params)
    check_parameter_keys(scenario, params, file=params_file)
    return params


def check_parameter_keys(scenario, params: Parameters, *, file: str | Path) -> None:
    """The keys a parameters file (--params) adds to the scenario's mapping parameters name its
    statuses, groups, nationalities and crossings (a key nothing reads is a typo, not a
    setting)."""
    for head in _mapping_keys(scenario):
        own, given = getattr(scenario.params, head), getattr(params, head)
        for key, value in given.items():
            inner_own = own.get(key)
            if key not in own:
                _check_keys(scenario, head, [key], file=file, field=f"parameters.{head}.{key}")
            if isinstance(value, dict):
                for inner in value:
                    if not (isinstance(inner_own, dict) and inner in inner_own):
                        _check_keys(scenario, head, [key, inner], file=file,
                                    field=f"parameters.{head}.{key}.{inner}")


# --- parsing ------------------------------------------------------------------------------------

_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$", re.DOTALL)


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"not a number: '{text.strip()}'", field=where) from None
    if not math.isfinite(value):
        raise ScenarioError(f"not a finite number: '{text.strip()}'", field=where)
    return value


def _checked(name: str, dist: str, args: tuple, clip=(None, None), *, file=None,
             where: str) -> Prior:
    """Check a distribution's arguments make sense; return the Prior."""
    def fail(reason: str):
        raise ScenarioError(f"{dist}: {reason}", file=file, field=where)

    if dist == "uniform" and not args[0] < args[1]:
        fail(f"low ({args[0]:g}) must be below high ({args[1]:g})")
    if dist == "normal" and not args[1] > 0:
        fail(f"sd must be above 0 (got {args[1]:g})")
    if dist == "normal" and None not in clip and not clip[0] < clip[1]:
        fail(f"low ({clip[0]:g}) must be below high ({clip[1]:g})")
    if dist == "lognormal" and not args[0] > 0:
        fail(f"median must be above 0 (got {args[0]:g})")
    if dist == "lognormal" and not args[1] > 0:
        fail(f"sigma must be above 0 (got {args[1]:g})")
    if dist == "values":
        values = args[0]
        if not isinstance(values, (list, tuple)) or not values:
            fail("needs a non-empty list of values")
        if any(isinstance(v, (dict, list)) for v in values):
            fail("values must be numbers (or strings)")
        args = (tuple(values),)
    return Prior(name, dist, tuple(args), tuple(clip))


def parse_vary(text: str, *, check=check_name) -> Prior:
    """`NAME=DIST` from the command line, e.g. `giveup_rate_per_day=uniform(0.05,0.3)`. `check(name,
    field=...)` says whether NAME is known (default: a parameter of our ruleset; Flee's:
    flee/batch.py)."""
    where = "--vary"
    if "=" not in text:
        raise ScenarioError("expected NAME=DIST, e.g. giveup_rate_per_day=uniform(0.05,0.3) (got "
                            f"'{text}')",
                            field=where)
    name, dist_text = (s.strip() for s in text.split("=", 1))
    check(name, field=f"--vary {name}")
    where = f"--vary {name}"
    dist_text = dist_text.strip()
    if dist_text.startswith("["):
        try:
            values = json.loads(dist_text)
        except json.JSONDecodeError:
            values = None
        if not isinstance(values, list):
            raise ScenarioError(f"a list of values is written [1,2,3] (got '{dist_text}')",
                                field=where)
        return _checked(name, "values", (values,), where=where)
    m = _CALL.match(dist_text)
    if not m:
        raise ScenarioError("expected a distribution: "
                            f"{', '.join(d + '(...)' for d in DISTRIBUTIONS[:3])} "
                            f"or a list [a,b,c] (got '{dist_text}')", field=where)
    dist, inner = m.group(1), m.group(2)
    if dist not in _FIELDS or dist == "values":
        raise ScenarioError(f"unknown distribution '{dist}' (known: uniform, normal, lognormal, "
                            "[a,b,c])",
                            field=where)
    parts = list(inner.split(",")) if inner.strip() else []
    positional, named = [], {}
    for p in parts:
        if "=" in p:
            k, v = (s.strip() for s in p.split("=", 1))
            if k not in _OPTIONAL.get(dist, ()):
                raise ScenarioError(f"{dist} takes no '{k}='", field=where)
            named[k] = _number(v, where)
        else:
            positional.append(_number(p, where))
    want = _FIELDS[dist]
    if len(positional) != len(want):
        raise ScenarioError(f"{dist} takes {len(want)} numbers ({', '.join(want)}), got "
                            f"{len(positional)}",
                            field=where)
    return _checked(name, dist, tuple(positional), (named.get("low"), named.get("high")),
                    where=where)


def prior_from_mapping(name: str, spec: Any, *, file: str | Path | None = None) -> Prior:
    """One entry of a scenario's `priors:` mapping, e.g. `{dist: uniform, low: 0.05, high: 0.3}`."""
    where = f"priors.{name}"
    check_name(name, file=file, field=where)
    if not isinstance(spec, dict) or "dist" not in spec:
        raise ScenarioError("expected a mapping with 'dist' (uniform, normal, lognormal or values)",
                            file=file, field=where)
    dist = spec["dist"]
    if dist not in _FIELDS:
        raise ScenarioError(f"unknown dist '{dist}' (known: {', '.join(DISTRIBUTIONS)})", file=file,
                            field=f"{where}.dist")
    allowed = set(_FIELDS[dist]) | set(_OPTIONAL.get(dist, ())) | {"dist", "note", "source"}
    for key in spec:
        if key not in allowed:
            raise ScenarioError(f"{dist} takes no '{key}' (fields: {', '.join(_FIELDS[dist])})",
                                file=file,
                                field=f"{where}.{key}")
    args = []
    for key in _FIELDS[dist]:
        if key not in spec:
            raise ScenarioError(f"{dist} needs '{key}'", file=file, field=f"{where}.{key}")
        value = spec[key]
        if dist != "values":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScenarioError(f"not a number: {value!r}", file=file, field=f"{where}.{key}")
            value = float(value)
        args.append(value)
    clip = tuple(float(spec[k]) if spec.get(k) is not None else None for k in ("low", "high")) \
        if dist == "normal" else (None, None)
    return _checked(name, dist, tuple(args), clip, file=file, where=where)


def scenario_priors(scenario) -> dict[str, Prior]:
    """The priors of a loaded Scenario (its scenario.yaml `priors:`), each checked to draw only
    values its parameter or data number allows (`_check_support`)."""
    file = scenario.folder / "scenario.yaml"
    priors = {name: prior_from_mapping(name, spec, file=file) for name,
              spec in scenario.spec.priors.items()}
    for prior in priors.values():
        _check_support(scenario, prior, file)
    return priors


def _support_ends(prior: Prior) -> list[Any]:
    """The extreme values a prior can draw where it is bounded: a uniform's low and high, a
    normal's clip, every one of a list of values (a lognormal is above 0 and unbounded)."""
    if prior.dist == "uniform":
        return [float(a) for a in prior.args]
    if prior.dist == "normal":
        return [float(c) for c in prior.clip if c is not None]
    if prior.dist == "values":
        return list(prior.args[0])
    return []


def _check_support(scenario, prior: Prior, file: Path) -> None:
    """A prior whose bounded range reaches past what its parameter or data number may be (a
    uniform(-1, 2) on a chance) would fail runs one by one, some way into an ensemble: refuse it
    when the scenario is read. Shares are clipped to [0, 1] by design (data_values), so they are
    left alone."""
    if is_data_name(prior.name):
        table = parse_data_name(prior.name)[0]
        if table in TABLES and TABLES[table].share_within:
            return
    for value in _support_ends(prior):
        try:
            if is_data_name(prior.name):
                with_data_values(scenario, {prior.name: value})
            else:
                with_values(scenario.params, {prior.name: value}, where=f"priors.{prior.name}")
        except ScenarioError as exc:
            reason = exc.reason.split("): ", 1)[-1]       # the bound, without the drawn value
            shown = f"{value:g}" if isinstance(value, float) else repr(value)
            raise ScenarioError(f"{prior.dist} reaches {shown}, which the "
                                f"{'number' if is_data_name(prior.name) else 'parameter'} "
                                f"cannot take: {reason}", file=file,
                                field=f"priors.{prior.name}") from None


# --- applying draws -----------------------------------------------------------------------------

def with_values(base: Parameters, values: dict[str, Any], *, where: str = "--vary") -> Parameters:
    """Parameters with each named value set (dotted names reach into mappings), validated. Data
    names are left out: they set numbers of the scenario (scenario/data_values.py)."""
    values = split_values(values)[0]
    merged = base.model_dump()
    for name, value in values.items():
        parts = name.split(".")
        if len(parts) == 1:
            merged[name] = value
            continue
        target = merged.setdefault(parts[0], {})
        for part in parts[1:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):     # nationality_response.Venezuela is a number
                raise ScenarioError(f"'{'.'.join(parts[:-1])}' is a number, not a mapping: it "
                                    f"takes no '.{parts[-1]}'", field=where)
        target[parts[-1]] = value
    try:
        return parameters_from(merged)
    except ScenarioError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise ScenarioError(f"a drawn value is not allowed ({shown}): {exc.reason}",
                            field=where) from None


def draw_values(priors: dict[str, Prior], base_seed: int, run_index: int) -> dict[str, Any]:
    return {name: priors[name].draw(base_seed, run_index) for name in sorted(priors)}


def canonical_json(value: Any) -> str:
    """One spelling for equal values (sorted keys, no spaces): identities are hashes of it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def describe(priors: dict[str, Prior]) -> dict[str, str]:
    return {name: priors[name].text() for name in sorted(priors)}
