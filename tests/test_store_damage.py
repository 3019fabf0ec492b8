"""A damaged results store (cut in half, its last block cut, random bytes over its blocks) gives
one line naming it and exit 2 from the commands that read it, `store verify` says what can still
be read, and a rerun of the ensemble never writes to it."""

from __future__ import annotations

import hashlib
import os
import random

import pytest
from click.testing import CliRunner

from scenario_kit import tiny_scenario
from travesia.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def sound_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    folder = tiny_scenario(root / "sc", days=30)
    store = root / "ens.duckdb"
    result = invoke("ensemble", folder, "--runs", 20, "--store", store, "--workers", 1)
    assert result.exit_code == 0, result.output
    return folder, store


def _damaged(store, tmp_path, how):
    data = bytearray(store.read_bytes())
    n = len(data)
    if how == "cut in half":
        data = data[: n // 2]
    elif how == "last block cut":
        data = data[: n - 1000]
    else:                                   # noise over every block after the file's header
        rng = random.Random(5)
        for start in range(12_288, n, 262_144):
            data[start + 64: start + 4096] = rng.randbytes(4096 - 64)
    path = tmp_path / "damaged.duckdb"
    path.write_bytes(bytes(data))
    return path


DAMAGE = ["cut in half", "last block cut", "random bytes"]


def _one_line_error(result, path):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and path.name in lines[0], result.output


def test_a_sound_store_verifies(sound_store):
    _, store = sound_store
    result = invoke("store", "verify", store)
    assert result.exit_code == 0, result.output
    assert "runs of ensemble" in result.output and "unreadable" not in result.output


@pytest.mark.parametrize("how", DAMAGE)
def test_reading_a_damaged_store_is_one_line_and_exit_2(sound_store, tmp_path, how):
    _, store = sound_store
    path = _damaged(store, tmp_path, how)
    _one_line_error(invoke("bands", path, "--out", tmp_path / "bands"), path)
    _one_line_error(invoke("sensitivity", path, "--out", tmp_path / "sens"), path)
    _one_line_error(invoke("report", path, "--out", tmp_path / "r.html"), path)
    assert not (tmp_path / "r.html").exists()
    if how != "random bytes":          # noise can fall where no read goes; writing finds it
        _one_line_error(invoke("serve", "--store", path, "--port", 0), path)


@pytest.mark.parametrize("how", DAMAGE[:2])
def test_verify_names_what_cannot_be_read(sound_store, tmp_path, how):
    _, store = sound_store
    path = _damaged(store, tmp_path, how)
    result = invoke("store", "verify", path)
    assert result.exit_code == 2 and "unreadable" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", DAMAGE)
def test_an_ensemble_rerun_never_writes_to_a_damaged_store(sound_store, tmp_path, how):
    folder, store = sound_store
    path = _damaged(store, tmp_path, how)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = invoke("ensemble", folder, "--runs", 25, "--store", path, "--workers", 1)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        _one_line_error(result, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not os.path.exists(str(path) + ".wal")
