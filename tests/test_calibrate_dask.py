"""A fit on a Dask cluster runs through the same executor interface and gives the same posterior
as the same fit on local processes (each run's seed is fixed by its place in the plan)."""

from __future__ import annotations

from test_calibrate import _observed_tiny
from test_ensemble_dask import dask_cluster  # noqa: F401 - the fixture: a scheduler and two workers

from travesia.inference.calibrate import ObservationModel, calibrate


def test_dask_fit_equals_the_local_one(tmp_path, dask_cluster):  # noqa: F811
    folder = _observed_tiny(tmp_path)
    common = {"budget": 60, "obs_model": ObservationModel(error=0.2), "base_seed": 3}
    local = calibrate(str(folder), workers=2, **common)
    remote = calibrate(str(folder), scheduler=dask_cluster, **common)
    assert remote.runs == local.runs == 60
    assert remote.spread == local.spread
    assert remote.scores().summary() == local.scores().summary()
