"""The JSON Schema of qdev.toml, generated from the models (never written by hand).

`docs/qdev.schema.json` holds a copy for editors; a test fails when it drifts from the models.
Regenerate it with `qdev config schema > docs/qdev.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    from qdev.config.models import QdevConfig

    schema = QdevConfig.model_json_schema()
    schema["title"] = "qdev.toml"
    return {"$schema": SCHEMA_DIALECT, **schema}


def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
