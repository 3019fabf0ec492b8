"""The command line (a face: it parses, calls the package's functions, prints; no logic of its own).

`main` is the `travesia` command; each module beside this one holds a family of commands.
"""

from travesia.cli.main import main

__all__ = ["main"]
