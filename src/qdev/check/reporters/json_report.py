"""The JSON report, and the JSON Schema it follows (documented in docs/check.md)."""

from __future__ import annotations

import json
from typing import Any

from qdev import __version__
from qdev.check.model import CheckRun, Status

SCHEMA_VERSION = 1

_FINDING = {
    "type": "object",
    "required": ["message", "path", "line", "column", "code"],
    "additionalProperties": False,
    "properties": {
        "message": {"type": "string"},
        "path": {"type": ["string", "null"], "description": "repo-relative, / separated"},
        "line": {"type": ["integer", "null"], "minimum": 1},
        "column": {"type": ["integer", "null"], "minimum": 1},
        "code": {"type": ["string", "null"], "description": "the tool's rule or error code"},
    },
}
_STEP = {
    "type": "object",
    "required": [
        "id",
        "status",
        "summary",
        "seconds",
        "cached",
        "findings",
        "output",
        "command",
        "known",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": [status.value for status in Status]},
        "summary": {
            "type": "string",
            "description": "one line; for not_run and skipped, the reason",
        },
        "seconds": {"type": "number", "minimum": 0},
        "cached": {"type": "boolean", "description": "answered from the cache without running"},
        "findings": {"type": "array", "items": _FINDING},
        "output": {"type": "string", "description": "the tools' captured stdout and stderr"},
        "command": {"type": "array", "items": {"type": "string"}},
        "known": {
            "type": "integer",
            "minimum": 0,
            "description": "findings matched in .qdev/baseline.json: counted, not failing",
        },
        "cpu_seconds": {
            "type": ["number", "null"],
            "minimum": 0,
            "description": "CPU time of the step's tools and their workers (of the run that "
            "made a cached result); null when no tool ran",
        },
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "qdev check report",
    "type": "object",
    "required": [
        "schema_version",
        "qdev_version",
        "ok",
        "exit_code",
        "seconds",
        "counts",
        "steps",
        "warnings",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "qdev_version": {"type": "string"},
        "ok": {"type": "boolean", "description": "true when no step failed"},
        "exit_code": {"enum": [0, 1]},
        "seconds": {"type": "number", "minimum": 0},
        "counts": {
            "type": "object",
            "required": [*(status.value for status in Status), "cached"],
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "steps": {"type": "array", "items": _STEP},
        "warnings": {
            "type": "array",
            "items": {"type": "string"},
            "description": "problems beside the results, e.g. the cache could not be written",
        },
    },
}


def report(run: CheckRun) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "qdev_version": __version__,
        "ok": run.ok,
        "exit_code": run.exit_code,
        "seconds": round(run.seconds, 3),
        "counts": run.counts(),
        "steps": [result.to_json() for result in run.results],
        "warnings": list(dict.fromkeys(run.warnings)),
    }


def render(run: CheckRun) -> str:
    return json.dumps(report(run), indent=2) + "\n"
