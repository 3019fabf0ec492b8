"""Helpers for the Flee tests: write a tiny Flee folder by hand, find the shared cases.

(A module of helpers named test_* so it stays within the Flee tests' files; it holds no test.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_FLEE = Path(__file__).resolve().parents[1].parent / "shared" / "flee"

needs_shared_flee = pytest.mark.skipif(
    not (SHARED_FLEE / "scenarios").is_dir(),
    reason=f"Flee's validation cases are not at {SHARED_FLEE} (../shared/flee beside the repo)",
)


def write_case(
    root: Path,
    *,
    locations: list[str],
    routes: list[str],
    start: str = "2020-01-01",
    days: int = 10,
    closures: list[str] | None = None,
    conflicts: list[str] | None = None,
    layout: list[str] | None = None,
    counts: dict[str, list[str]] | None = None,
    corrections: list[str] | None = None,
    settings: str | None = None,
) -> Path:
    """Write a Flee folder: `locations` and `routes` are CSV rows without the header."""
    inp = root / "input_csv"
    src = root / "source_data"
    inp.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    (inp / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        + "\n".join(locations) + "\n")
    (inp / "routes.csv").write_text("#name1,name2,distance,forced_redirection\n"
                                    + "\n".join(routes) + "\n")
    (inp / "sim_period.csv").write_text(f"StartDate,{start}\nLength,{days}\n")
    (inp / "closures.csv").write_text(
        "#closure_type,name1,name2,closure_start,closure_end\n" + "\n".join(closures or []) + "\n")
    if conflicts is not None:
        (inp / "conflicts.csv").write_text("\n".join(conflicts) + "\n")
    if corrections is not None:
        (inp / "registration_corrections.csv").write_text("\n".join(corrections) + "\n")
    (src / "data_layout.csv").write_text("\n".join(layout or ["total,refugees.csv"]) + "\n")
    for name, rows in (counts or {"refugees.csv": [f"{start},0"]}).items():
        (src / name).write_text("\n".join(rows) + "\n")
    if settings is not None:
        (root / "simsetting.yml").write_text(settings)
    return root


def check_mobile_list(sim, day: int) -> None:
    """The kernel's list of agents visited one by one (AgentArrays.mobile) against a scan from
    scratch (kernels.rebuild_mobile): in creation order, without repeats, holding everyone the
    scan holds; any other entry is an agent that came to rest at a sampled place (or was taken
    out) since the last pass 1, which drops such entries."""
    from travesia.model.flee import kernels
    from travesia.model.flee.agents import AT_PLACE, GONE

    a = sim.agents
    kept = a.mobile[: a.mobile_len[0]].astype(np.int64)
    fresh, fresh_len = np.zeros_like(a.mobile), np.zeros(1, np.int64)
    kernels.rebuild_mobile(a.n, a.state, a.where, sim.sampled_places(), fresh, fresh_len)
    scan = fresh[: fresh_len[0]].astype(np.int64)
    assert np.all(np.diff(kept) > 0), f"day {day}: not in creation order, or repeated"
    assert np.isin(scan, kept).all(), f"day {day}: agents missing from the list"
    extra = np.setdiff1d(kept, scan)
    resting = (a.state[extra] == AT_PLACE) & sim.sampled_places()[a.where[extra]]
    assert np.all(resting | (a.state[extra] == GONE)), (
        f"day {day}: an extra entry is not at rest at a sampled place"
    )
