"""The one family of errors a user can cause. The CLI prints them as one line, exit status 2."""

from __future__ import annotations

from pathlib import Path


class ScenarioError(Exception):
    """A mistake in a user's input, located as precisely as we can: file, row, field."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return (": ".join([", ".join(where), self.reason])) if where else self.reason


class ObservationError(ScenarioError):
    """A mistake in an observations file."""


WORKER_DIED = ("a worker process died: out of memory, or, in a script, the travesia calls are not "
               "under `if __name__ == \"__main__\":` (worker processes import the script again; "
               "docs/api.md)")


class WorkerDied(ScenarioError):
    """A process of the local worker pool ended abruptly (concurrent.futures' BrokenProcessPool):
    out of memory, killed, or a script without the `__main__` guard. Not a mistake in a file, so
    the command line exits 1 for it, not 2."""

    def __init__(self, reason: str = WORKER_DIED) -> None:
        super().__init__(reason)
