"""What the commands share: one line and exit status 2 for a user's mistake."""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click

from travesia.errors import ScenarioError, WorkerDied


_PATH_ERRORS: dict[type, str] = {
    FileExistsError: "is a file where a folder is needed",
    NotADirectoryError: "is under a file, not a folder",
    IsADirectoryError: "is a folder where a file is needed",
    PermissionError: "permission denied",
}


def user_errors(fn):
    """Turn a ScenarioError into `error: <where>: <what>` on stderr and exit status 2 (1 for a
    worker process that died: no mistake in the input)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1 if isinstance(exc, WorkerDied) else 2)
        except OSError as exc:
            # a path given on the command line that cannot be written or read as asked: an output
            # under a file (`--out results.csv/x`), a folder where a file goes, no permission
            reason = _PATH_ERRORS.get(type(exc))
            if reason is None or not exc.filename:
                raise
            click.echo(f"error: {exc.filename}: {reason}", err=True)
            sys.exit(2)

    return wrapper


def check_output_paths(**paths: Path | None) -> None:
    """Refuse, before any work, an output path (option name -> path given) that cannot be made
    because one of its folders is a file: a long fit must not fail only when it writes."""
    for option, path in paths.items():
        for parent in Path(path).parents if path is not None else ():
            if parent.exists():
                if not parent.is_dir():
                    raise ScenarioError("is a file, so nothing can be written under it",
                                        file=parent, field=option)
                break


def echo_ensemble_report(report, next_hint: str) -> None:
    """What an ensemble did (ensemble.EnsembleReport); exit status 1 if some runs failed."""
    if report.already_stored:
        click.echo(f"{report.already_stored} of {report.planned} runs were already stored")
    if report.ran:
        click.echo(f"ran {report.ran} runs in {report.wall_seconds:.1f} s "
                   f"({report.runs_per_minute:,.1f} runs/min)")
    if report.failed:
        first_error = report.failed[0][1].splitlines()[0]
        click.echo(f"{len(report.failed)} runs failed (stored with status 'failed'; the same "
                   f"command retries them); first: {first_error}", err=True)
        sys.exit(1)
    click.echo(f"next: {next_hint}")
