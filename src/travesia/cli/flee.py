"""Where the command line meets the Flee ruleset (travesia.flee), kept apart from our own runner."""

from __future__ import annotations

import json
from pathlib import Path

import click


def is_flee_folder(path: Path) -> bool:
    try:
        from ..flee import is_flee_folder as detect
    except ImportError:
        return False
    return detect(path)


def run_flee(folder: Path, *, settings: Path | None, seed: int, out_dir: Path | None,
             quiet: bool) -> dict:
    from rich.progress import Progress

    from ..flee import run_flee_folder

    out_dir = out_dir or Path("out") / folder.name
    if quiet:
        summary = run_flee_folder(folder, settings=settings, seed=seed, out_dir=out_dir)
    else:
        with Progress(transient=True) as bar:
            task = bar.add_task(f"Flee ruleset: {folder.name}", total=None)
            summary = run_flee_folder(folder, settings=settings, seed=seed, out_dir=out_dir,
                                      progress=lambda d, n: bar.update(task, completed=d, total=n))
    if not quiet:
        click.echo(json.dumps(summary, indent=2, default=str))
        click.echo(f"results in {out_dir}")
    return summary


def score_flee_run(run_dir: Path) -> dict:
    from ..flee import score_run_dir

    return score_run_dir(run_dir)
