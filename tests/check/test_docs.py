"""docs/check.md documents the JSON report's schema exactly as the code produces it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from qdev.check.reporters.json_report import SCHEMA

DOC = Path(__file__).parents[2] / "docs" / "check.md"


def test_the_documented_schema_is_the_code_schema() -> None:
    block = re.search(
        r"<!-- schema:begin -->\n```json\n(.*?)\n```\n<!-- schema:end -->", DOC.read_text(), re.S
    )

    assert block is not None, "docs/check.md lost its schema block"
    assert json.loads(block.group(1)) == SCHEMA


def test_every_builtin_step_is_documented() -> None:
    from qdev.config.models import BUILTIN_STEPS

    text = DOC.read_text()
    assert all(f"| `{step}` |" in text for step in BUILTIN_STEPS)
