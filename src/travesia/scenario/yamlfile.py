"""Reading a user's YAML file that must hold a mapping, with errors that name the file and row."""

from __future__ import annotations

from pathlib import Path

import yaml

from travesia.errors import ScenarioError
from travesia.scenario.limits import read_input_text


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, leaving dates as text: pydantic then reads them and names the field of
    an impossible one (2025-11-31), where YAML's own reading would fail with no field. Aliases
    (*name) are refused: a few lines of them nest into billions of items ("billion laughs"), and
    a scenario never needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        # YAML keeps the last of two equal keys; a key written twice (two `start:` lines, a
        # parameter set in two places) is a mistake whose first value would vanish unseen
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:           # an unhashable key: YAML's own error says so below
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{str(key)[:40]}' given twice (first on line {first})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml_mapping(path: str | Path, *, missing: str, expected: str,
                      empty_ok: bool = False) -> dict:
    """The mapping in `path`. `missing` and `expected` are the messages for a file that is not
    there and for one that holds something other than a mapping; an empty file is {} when
    `empty_ok`, else an error."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(missing, file=path)
    text = read_input_text(path)
    try:
        data = yaml.load(text, Loader=_Loader)  # a safe loader
    except RecursionError:
        raise ScenarioError("malformed YAML: nested too deeply", file=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if "'\\t'" in problem:
            problem = "a tab character: YAML indents with spaces, never tabs"
        raise ScenarioError(f"malformed YAML: {problem}", file=path,
                            row=mark.line + 1 if mark is not None else None) from None
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(expected, file=path)
    return data
