"""What the commands share: one line and exit status 2 for a user's mistake."""

from __future__ import annotations

import sys
from functools import wraps

import click

from ..errors import ScenarioError


def user_errors(fn):
    """Turn a ScenarioError into `error: <where>: <what>` on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)

    return wrapper
