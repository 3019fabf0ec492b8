"""The three YAML files a user hands us (scenario.yaml, --params, Flee's --settings) share one
reader: a malformed file names its row, a non-mapping says what was expected."""

from __future__ import annotations

import pytest

from travesia.errors import ScenarioError
from travesia.model.flee.settings import read_settings
from travesia.scenario.parameters import load_params_file
from travesia.scenario.yamlfile import read_yaml_mapping


@pytest.mark.parametrize("read", [load_params_file, read_settings])
def test_a_malformed_file_names_its_row(tmp_path, read):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: [1, 2\n")
    with pytest.raises(ScenarioError, match="malformed YAML") as err:
        read(path)
    assert err.value.file == str(path) and err.value.row == 3


def test_empty_is_a_mapping_only_where_allowed(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert read_yaml_mapping(path, missing="m", expected="e", empty_ok=True) == {}
    with pytest.raises(ScenarioError, match="^.*empty.yaml: e$"):
        read_yaml_mapping(path, missing="m", expected="e")
    path.write_text("- a list\n")
    with pytest.raises(ScenarioError, match="expected a mapping of parameter names"):
        load_params_file(path)
    with pytest.raises(ScenarioError, match="settings file does not exist"):
        read_settings(tmp_path / "none.yml")
