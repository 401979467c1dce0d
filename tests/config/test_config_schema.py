"""The committed schema matches the models, describes every field and accepts real configs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from qdev.config.models import QdevConfig
from qdev.config.schema import config_schema, schema_text

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "qdev.schema.json"
CORPUS = Path(__file__).parent / "corpus"
jsonschema = pytest.importorskip("jsonschema")  # via check-jsonschema; untyped, hence Any


def test_committed_schema_matches_the_models() -> None:
    assert COMMITTED.read_text() == schema_text(), (
        "docs/qdev.schema.json is out of date with src/qdev/config/models.py; regenerate it with:\n"
        "    uv run qdev config schema > docs/qdev.schema.json"
    )


def properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [("QdevConfig", name, prop) for name, prop in schema["properties"].items()]
    for model, definition in schema["$defs"].items():
        found += [(model, name, prop) for name, prop in definition.get("properties", {}).items()]
    return found


@pytest.mark.parametrize(
    ("model", "name", "prop"),
    properties(config_schema()),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_field_is_described(model: str, name: str, prop: dict[str, Any]) -> None:
    assert prop.get("description"), f"{model}.{name} needs an attribute docstring"


def test_the_schema_accepts_what_the_models_accept() -> None:
    repo_config = tomllib.loads(
        (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    )
    examples = [
        {},
        repo_config["tool"]["qdev"],
        QdevConfig().model_dump(mode="json", exclude_none=True),
    ]

    for example in examples:
        jsonschema.validate(example, config_schema())


def test_the_schema_rejects_a_typo_from_the_corpus() -> None:
    typo = tomllib.loads((CORPUS / "typo-key.qdev.toml").read_text())

    with pytest.raises(jsonschema.ValidationError, match="covrage"):
        jsonschema.validate(typo, config_schema())
