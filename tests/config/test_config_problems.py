"""Validation errors read as "key: expected X, got Y" whatever the field's type."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qdev.config.models import QdevConfig
from qdev.config.problems import describe, problems_of, render_value, unknown_key


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5
    ceiling: Annotated[int, Field(le=10)] = 1
    floor: Annotated[int, Field(ge=2)] = 2
    either: int | str = 0
    counts: list[int] = Field(default_factory=list)
    limits: dict[str, int] = Field(default_factory=dict)
    where: Path = Path()


def messages(data: dict[str, Any], model: type[BaseModel] = Sample) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(map(str, p.loc)): p.message for p in problems_of(caught.value, model)}


def test_bounds_are_spelled_out() -> None:
    found = messages({"ratio": 1.5, "ceiling": 11, "floor": 1})

    assert found == {
        "ratio": "expected a number greater than 0 and less than 1, got 1.5",
        "ceiling": "expected a whole number at most 10, got 11",
        "floor": "expected a whole number at least 2, got 1",
    }


def test_unions_lists_and_tables_of_other_types() -> None:
    found = messages({"either": 1.5, "counts": 3, "limits": "x"})

    assert found["either"] == "expected a whole number or a string, got 1.5"
    assert found["counts"] == "expected a list of values, got 3"
    assert found["limits"] == 'expected a table, got "x"'


def test_a_type_without_a_description_falls_back_to_pydantic_words() -> None:
    found = messages({"where": 5})

    assert found["where"].endswith(", got 5")
    assert found["where"][0].islower()


def test_unknown_keys_suggest_or_list() -> None:
    assert (
        unknown_key("zzz", ["alpha", "beta"]) == 'unknown key "zzz"; expected one of: alpha, beta'
    )
    assert unknown_key("zzz", []) == 'unknown key "zzz"'
    assert messages({"check": {"custom": {"a": {"run": ["x"], "nope": 1}}}}, QdevConfig) == {
        "check.custom.a.nope": 'unknown key "nope"; expected one of: run, cwd, env, depends_on, '
        "inputs, timeout"
    }


def test_unknown_key_below_a_plain_value_has_no_suggestions() -> None:
    found = messages({"env": {"indexes": {"a": {"b": 1}}}}, QdevConfig)

    assert found["env.indexes.a"] == "expected a string, got a table"


def test_values_are_shown_as_toml_and_shortened() -> None:
    assert render_value(None) == "nothing"
    assert render_value(False) == "false"
    assert render_value([1, "a"]) == '[1, "a"]'
    assert render_value("x" * 100).endswith("xx...")
    assert len(render_value("x" * 100)) == 60


def test_describe_gives_up_on_unknown_types() -> None:
    assert describe(Path, []) is None


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (
            {"project": {"python": ["3.12", "3.12"]}},
            "project.python.1",
            'each Python version once, got "3.12" twice',
        ),
        (
            {"ci": {"python": ["3.12", "py3"]}},
            "ci.python.1",
            'a Python version like "3.12", got "py3"',
        ),
        ({"extends": {"git": "https://x/p.git"}}, "extends", "a git profile needs a pinned ref"),
        ({"extends": {"path": "../p", "ref": "v1"}}, "extends", "ref only goes with git"),
        (
            {"check": {"custom": {"Bench": {"run": ["x"]}}}},
            "check.custom.Bench",
            "a step name of lowercase",
        ),
        (
            {"check": {"custom": {"lint": {"run": ["x"]}}}},
            "check.custom.lint",
            "not a built-in step's",
        ),
    ],
)
def test_model_rules_name_the_key_they_are_about(
    data: dict[str, Any], key: str, message: str
) -> None:
    found = messages(data, QdevConfig)

    assert message in found[key]
    assert found[key].startswith("expected ")


def test_the_ci_matrix_defaults_to_the_project_versions() -> None:
    config = QdevConfig.model_validate({"project": {"python": ["3.12"]}})

    assert config.ci_python == ["3.12"]
    assert QdevConfig.model_validate({"ci": {"python": ["3.13"]}}).ci_python == ["3.13"]
