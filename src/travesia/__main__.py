"""`python -m travesia` is the `travesia` command."""

from travesia.cli import main

main()
