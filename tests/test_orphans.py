"""Workers end with their parent: after `kill -9` of `travesia ensemble`, none of the processes
it started (workers, the forkserver, the resource tracker) is left within 5 seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")


def _children() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii")
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents, found, todo = _children(), set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found.update(kids)
        todo.extend(kids)
    return found


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_no_process_outlives_a_killed_ensemble(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", "from travesia.cli import main; main()", "ensemble",
         "chile-peru-2025", "--runs", "400", "--workers", "2", "--store",
         str(tmp_path / "ens.duckdb")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        started: set[int] = set()
        while time.monotonic() < deadline and len(started) < 4:   # tracker, server, 2 workers
            time.sleep(0.5)
            started |= _descendants(proc.pid)
        assert len(started) >= 4, f"the ensemble started only {started}"
        time.sleep(2)                                             # workers busy with runs
        started |= _descendants(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_running(p) for p in started):
        time.sleep(0.2)
    left = [p for p in started if _running(p)]
    for p in left:                                  # do not leave them to the next test either
        os.kill(p, signal.SIGKILL)
    assert not left, f"{len(left)} processes outlived the ensemble"
