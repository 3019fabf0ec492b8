"""`travesia scenario new`: a commented starting folder that loads, checks and runs, for a user
describing a corridor of their own (docs/scenario-format.md, "A new corridor, step by step")."""

from __future__ import annotations

import re
from pathlib import Path

from travesia.errors import ScenarioError

TEMPLATE = Path(__file__).resolve().parent / "template"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")     # as scenario.yaml's `name`


def new_scenario(name: str, folder: str | Path | None = None) -> Path:
    """Write the starting folder for scenario `name` into `folder` (default: ./NAME) and return
    it. A folder that exists and is not empty is refused, so nothing is overwritten."""
    if not NAME.match(name):
        raise ScenarioError(f"'{name}' is not a scenario name: lower-case letters, digits and "
                            "dashes, starting with a letter or digit", field="NAME")
    target = Path(folder) if folder is not None else Path(name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScenarioError("exists and is not an empty folder; choose another --dir",
                            file=target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(TEMPLATE.iterdir()):
            if path.is_file():
                text = path.read_text(encoding="utf-8").replace("{name}", name)
                (target / path.name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot write the folder ({exc.strerror})", file=target) from None
    return target
