"""How large an input file may be. Reading a CSV takes several times its size in memory, so a
file past this limit is refused with an error naming it rather than read until memory runs out
(docs/scenario-format.md, "Limits")."""

from __future__ import annotations

from pathlib import Path

from travesia.errors import ScenarioError

MAX_INPUT_BYTES = 16 * 2**20   # the largest Flee case file is under 1 MB, a built-in one 50 kB


def read_input_text(path: Path, *, error: type[ScenarioError] = ScenarioError) -> str:
    """The text of an input file (UTF-8, a BOM dropped), or `error` naming the file when it is
    too large, not UTF-8 or cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise error(f"file too large ({size / 2**20:,.0f} MB; inputs are at most "
                        f"{MAX_INPUT_BYTES // 2**20} MB)", file=path)
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})", file=path) from None
