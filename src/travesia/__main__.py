"""`python -m travesia` is the `travesia` command."""

from .cli import main

main()
