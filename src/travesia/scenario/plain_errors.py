"""pydantic's validation errors in plain words, located the way a user reads the file.

pydantic says "Input should be a valid number, unable to parse string as a number" and places
the error at `timeline.3.flight.seats` or `fit.str`; a user wants "not a number" at
`timeline[3].seats`. Every reader of a user's file (scenario folders, stocks folders, parameters
files, the web's what-if form) turns its first error into a ScenarioError through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# a member of a union (str | FitRef, float | dict[str, float]) that pydantic puts in the location
_MEMBER_TAGS = {"str", "int", "float", "bool", "list", "dict", "FitRef", "date"}
# errors that only say the value is of another kind than one member of a union expects
_KIND_MISMATCH = {"string_type", "float_type", "float_parsing", "int_type", "int_parsing",
                  "dict_type", "model_type", "model_attributes_type", "list_type", "bool_type",
                  "bool_parsing", "date_type", "date_parsing", "date_from_datetime_parsing"}
# a name written in lower-case letters, digits and '-' (scenario names, branch ids)
_SLUG = "^[a-z0-9][a-z0-9-]*$"


def _is_member_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in _MEMBER_TAGS
                                      or part.startswith(("dict[", "list[", "constrained-")))


def first_error(exc: ValidationError) -> ErrorDetails:
    """The error to report: the first, unless it sits in a union whose other member fits the
    input's kind better (`fit: {scenario: x, y: 1}` is a bad mapping, not a bad string)."""
    errors = exc.errors()
    first = errors[0]
    if first["type"] in _KIND_MISMATCH and any(_is_member_tag(p) for p in first["loc"]):
        cut = next(i for i, p in enumerate(first["loc"]) if _is_member_tag(p))
        prefix = tuple(first["loc"][:cut])
        for err in errors[1:]:
            if tuple(err["loc"][:cut]) == prefix and err["type"] not in _KIND_MISMATCH:
                return err
    return first


def location(loc: Iterable[Any], *, event_types: Iterable[str] = ()) -> str:
    """`timeline.3.flight.seats` -> `timeline[3].seats`: list indices in brackets, the tags of
    unions (an event's type, str/float/FitRef) left out."""
    tags = set(event_types)
    out = ""
    after_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            after_index = True
            continue
        if _is_member_tag(part) or (after_index and part in tags):
            after_index = False
            continue
        after_index = False
        out += f".{part}" if out else str(part)
    return out


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else f"{value}"


def plain_reason(err: ErrorDetails, *, kinds: str | None = None) -> str:
    """What is wrong, in plain words, without the value (the caller shows it). `kinds`: the
    event types a timeline takes, for an unknown or missing `type`."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "missing (this field is required)"
    if kind == "extra_forbidden":
        return "not a field here (a misspelt name?)"
    if kind in ("float_parsing", "float_type"):
        return "not a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "not a whole number"
    if kind == "finite_number":
        return "not a finite number"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be above {_number(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx['le'])}"
    if kind == "less_than":
        return f"must be below {_number(ctx['lt'])}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the names allowed')}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "not a date (write YYYY-MM-DD, e.g. 2026-01-31)"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "string_type":
        return "must be text"
    if kind in ("list_type", "tuple_type", "set_type"):
        return "must be a list (e.g. [a, b])"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "must be a mapping (name: value, ...)"
    if kind == "too_short":
        return f"must hold at least {ctx.get('min_length', 1)} item(s)"
    if kind == "too_long":
        return f"must hold at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_short":
        return "is empty" if ctx.get("min_length") == 1 else \
            f"must have at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _SLUG:
            return "must be lower-case letters, digits and '-', starting with a letter or digit"
        return f"does not match the pattern {ctx.get('pattern')}"
    if kind == "union_tag_invalid":
        return (f"unknown type '{str(ctx.get('tag'))[:40]}' (known: "
                f"{kinds or ctx.get('expected_tags')})")
    if kind == "union_tag_not_found":
        key = str(ctx.get("discriminator", "type")).strip("'")
        return f"missing `{key}:` (one of: {kinds or 'see the docs'})"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"]).removeprefix("Value error, ")


def shown_value(value: Any) -> str:
    """` (got 'abc')` for a value worth echoing: a short scalar, never a mapping's insides."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str):
        return f" (got '{value[:60]}')"
    if isinstance(value, (int, float)):
        return f" (got {value})"
    return ""
