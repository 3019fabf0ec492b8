"""The ending every background job of the dashboard shares (what-ifs, branches): the work runs,
the job ends `done` or `failed` with the error shown to the page (the server goes on), and its
wall time is kept."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Protocol


class BackgroundJob(Protocol):
    status: str
    error: str | None
    wall_seconds: float


def run_job(job: BackgroundJob, work: Callable[[], None]) -> None:
    """Run `work` for `job` on this (background) thread and record how it ended."""
    clock = time.perf_counter()
    try:
        work()
        job.status = "done"
    except Exception as exc:  # noqa: BLE001 - reported to the page, the server goes on
        job.error = f"{type(exc).__name__}: {exc}"
        job.status = "failed"
        traceback.print_exc()
    job.wall_seconds = time.perf_counter() - clock
