"""The JSON Schema of qdev.toml, generated from the models (never written by hand).

`docs/qdev.schema.json` holds a copy for editors; a test fails when it drifts from the models.
Regenerate it with `qdev config schema > docs/qdev.schema.json`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import ModuleType

    from pydantic.json_schema import JsonSchemaMode, JsonSchemaValue
    from pydantic_core import CoreSchema

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    from pydantic.json_schema import GenerateJsonSchema

    from qdev.config.models import QdevConfig

    class Described(GenerateJsonSchema):
        """Pydantic's schema, each field described by its attribute docstring."""

        def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> Any:
            generated: JsonSchemaValue = super().generate(schema, mode)
            _describe_fields(generated)
            return self.sort(generated)

    schema = QdevConfig.model_json_schema(schema_generator=Described)
    schema["title"] = "qdev.toml"
    return {"$schema": SCHEMA_DIALECT, **schema}


def _describe_fields(schema: dict[str, Any]) -> None:
    """Each property of each model, the docstring below its field as its description (unless the
    field has one), as pydantic's use_attribute_docstrings would have made it."""
    docs = _attribute_docstrings()
    nodes = {"QdevConfig": schema, **schema.get("$defs", {})}
    for name, node in nodes.items():
        for field, prop in node.get("properties", {}).items():
            doc = docs.get(name, {}).get(field)
            if doc is not None and "description" not in prop:
                prop["description"] = doc


def _attribute_docstrings() -> dict[str, dict[str, str]]:
    """{model: {field: docstring}} for every model in models.py, inherited fields included."""
    from pydantic import BaseModel

    from qdev.config import models

    own = _docstrings_by_class(models)
    found = {}
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            merged: dict[str, str] = {}
            for base in reversed(value.__mro__):
                if base.__module__ == models.__name__:
                    merged.update(own.get(base.__name__, {}))
            found[value.__name__] = merged
    return found


def _docstrings_by_class(module: ModuleType) -> dict[str, dict[str, str]]:
    """{class: {attribute: the string just below its annotated assignment}} in `module`."""
    import ast
    import inspect

    found = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {
                stmt.target.id: inspect.cleandoc(after.value.value)
                for stmt, after in zip(node.body, node.body[1:], strict=False)
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            }
    return found


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
