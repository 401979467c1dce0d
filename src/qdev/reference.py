"""Markdown references generated from the code, so the documentation cannot drift from it.

`cli_reference()` walks the typer app itself: every command, subcommand, argument and option,
with its help text. `config_reference()` walks the JSON Schema of qdev.toml (itself generated
from the pydantic models): every table and key with its type, default and description. The
documentation site's build hook (`docs/_hooks/reference.py`) writes both into the site.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# typer vendors click (typer._click) in some versions and uses click itself in others.
Command = Any
Context = Any

CLI_INTRO = """\
# CLI reference

Generated from qdev's own command-line application when the site is built, so it lists every
command and option of this version. `qdev COMMAND --help` prints the same text.
"""

CONFIG_INTRO = """\
# Configuration reference

Every key of `qdev.toml` (or `[tool.qdev]` in `pyproject.toml`), generated from the
[JSON Schema](../qdev.schema.json) that `qdev config schema` prints, itself generated from
qdev's configuration models. Unknown keys are errors. How the layers stack, and where each
value comes from: [Configuration](../configuration.md).
"""


def generated_pages() -> dict[str, Callable[[], str]]:
    """The site's pages made at build time (the docs hook writes them), by path in docs/."""
    return {"reference/cli.md": cli_reference, "reference/config.md": config_reference}


# -- the CLI ------------------------------------------------------------------------------------


def cli_reference() -> str:
    import typer

    from qdev.cli.app import build_app

    root = typer.main.get_command(build_app())
    ctx = root.context_class(root, info_name="qdev", **root.context_settings)
    parts = [CLI_INTRO, "## Global options\n", "Given before the command: `qdev -q check`.\n"]
    parts.append(_options(root, ctx))
    for name, command, sub_ctx in _commands(root, ctx):
        parts.append(_command_section(name, command, sub_ctx))
    return "\n".join(parts)


def command_names() -> list[str]:
    """Every command path the reference documents, e.g. "init", "config show"."""
    import typer

    from qdev.cli.app import build_app

    root = typer.main.get_command(build_app())
    ctx = root.context_class(root, info_name="qdev", **root.context_settings)
    return [name for name, _, _ in _commands(root, ctx)]


def _commands(group: Command, ctx: Context, prefix: str = "") -> list[tuple[str, Command, Context]]:
    found = []
    subcommands: dict[str, Command] = getattr(group, "commands", {})
    for name in sorted(subcommands):
        command = subcommands[name]
        sub_ctx = command.context_class(command, info_name=name, parent=ctx)
        path = f"{prefix}{name}"
        found.append((path, command, sub_ctx))
        found.extend(_commands(command, sub_ctx, prefix=f"{path} "))
    return found


def _command_section(name: str, command: Command, ctx: Context) -> str:
    usage = command.get_usage(ctx).removeprefix("Usage: ").strip()
    heading = "#" * (2 + name.count(" "))
    lines = [f"{heading} qdev {name}\n", f"```\n{usage}\n```\n", _plain(command.help or "")]
    options = _options(command, ctx)
    if options:
        lines.append(options)
    return "\n".join(lines)


def _options(command: Command, ctx: Context) -> str:
    records = [param.get_help_record(ctx) for param in command.get_params(ctx)]
    items = [
        f"- `{_clean(spec)}`" + (f": {_clean(help_text)}" if help_text else "")
        for spec, help_text in (record for record in records if record is not None)
    ]
    return "\n".join(items) + "\n" if items else ""


def _clean(text: str) -> str:
    """Help text as Markdown: typer's rich escapes and styles undone."""
    text = text.replace("\\[", "[")
    return re.sub(r"\[(/?)(bold|dim|italic|red|green|yellow|cyan)\]", "", text).strip()


def _plain(text: str) -> str:
    """A paragraph (or several) of help text."""
    return _clean(text) + "\n"


# -- the configuration -------------------------------------------------------------------------


def config_reference(schema: dict[str, Any] | None = None) -> str:
    from qdev.config.models import QdevConfig

    if schema is None:
        from qdev.config.schema import config_schema

        schema = config_schema()
    defaults = QdevConfig().model_dump(mode="json")
    walker = _SchemaWalk(schema.get("$defs", {}))
    parts = [CONFIG_INTRO]
    for key, spec in schema["properties"].items():
        parts.extend(walker.sections(key, spec, defaults.get(key)))
    return "\n".join(parts)


def config_keys(schema: dict[str, Any] | None = None) -> list[str]:
    """Every dotted key the reference documents, e.g. "check.test.args"."""
    if schema is None:
        from qdev.config.schema import config_schema

        schema = config_schema()
    walker = _SchemaWalk(schema.get("$defs", {}))
    keys: list[str] = []

    def walk(prefix: str, spec: dict[str, Any]) -> None:
        model = walker.model(spec)
        if model is None:
            keys.append(prefix)
            return
        for key, child in model.get("properties", {}).items():
            walk(f"{prefix}.{key}", child)

    for key, spec in schema["properties"].items():
        walk(key, spec)
    return keys


class _SchemaWalk:
    """Tables of keys from a JSON Schema whose objects are `$defs` of pydantic models."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def resolve(self, spec: dict[str, Any]) -> dict[str, Any]:
        ref = spec.get("$ref")
        return self.defs[ref.rsplit("/", 1)[-1]] if ref else spec

    def model(self, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The object `spec` is (directly or as an optional value), None for a plain value."""
        for candidate in [spec, *spec.get("anyOf", [])]:
            target = self.resolve(candidate)
            if target.get("type") == "object" and "properties" in target:
                return target
        return None

    def entries(self, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The object every value of a table of tables is (`[check.custom.NAME]`)."""
        value = spec.get("additionalProperties")
        return self.model(value) if isinstance(value, dict) else None

    def sections(self, name: str, spec: dict[str, Any], defaults: object) -> list[str]:
        model = self.model(spec) or self.entries(spec)
        assert model is not None, name
        known = defaults if isinstance(defaults, dict) else {}
        required = set(model.get("required", []))
        rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        nested = []
        for key, child in model.get("properties", {}).items():
            if self.model(child) is not None or self.entries(child) is not None:
                nested.append((key, child))
            if self.model(child) is not None:
                continue
            default = "required" if key in required else _value(child, known, key)
            description = child.get("description", "")
            rows.append(
                f"| `{key}` | {_cell(self.type(child))} | {default} | {_cell(description)} |"
            )
        heading = "#" * min(2 + name.count("."), 4)
        described = spec.get("description") or model.get("description", "")
        found = [f"{heading} [{name}]\n", _plain(described), "\n".join(rows) + "\n"]
        for key, child in nested:
            deeper = f"{name}.{key}" if self.model(child) is not None else f"{name}.{key}.NAME"
            found.extend(self.sections(deeper, child, known.get(key)))
        return found

    def type(self, spec: dict[str, Any]) -> str:
        spec = self.resolve(spec)
        if "anyOf" in spec:
            return " or ".join(self.type(option) for option in spec["anyOf"])
        if "enum" in spec:
            return "one of " + ", ".join(json.dumps(value) for value in spec["enum"])
        kind = spec.get("type", "any")
        if kind == "array":
            return f"list of {self.type(spec.get('items', {}))}"
        if kind == "object" and isinstance(spec.get("additionalProperties"), dict):
            entries = self.entries(spec)
            inner = "tables" if entries is not None else self.type(spec["additionalProperties"])
            return f"table of {inner}"
        bounds = [
            f"{word} {spec[key]}"
            for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"))
            if key in spec
        ]
        return str(kind) + (f" ({', '.join(bounds)})" if bounds else "")


def _value(spec: dict[str, Any], defaults: dict[str, Any], key: str) -> str:
    if key in defaults:
        value = defaults[key]
    elif "default" in spec:
        value = spec["default"]
    else:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # as a user writes it in TOML: coverage = 80
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
