"""`qdev config show|validate|schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(
        help="Show, validate and describe qdev's configuration.", no_args_is_help=True
    )

    @config_app.command("show")
    def show(
        sources: Annotated[
            bool,
            typer.Option("--sources", help="Name the file (with line) or variable of each value."),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    ) -> None:
        r"""Print the effective configuration of the current repo.

        Layers, lowest first: built-in defaults, the team profile (extends), qdev.toml or \[tool.qdev], your user file, QDEV_SECTION__KEY environment variables, command-line flags.
        """  # noqa: E501 - typer keeps line breaks: one paragraph, one line
        from qdev.config.loader import load_config
        from qdev.config.render import to_json, to_toml

        loaded = load_config()
        text = to_json(loaded, sources=sources) if as_json else to_toml(loaded, sources=sources)
        typer.echo(text.rstrip("\n"))

    @config_app.command("validate")
    def validate(
        path: Annotated[
            Path | None,
            typer.Argument(
                help="A qdev.toml, a pyproject.toml, your user config.toml or a repo folder; "
                "default: the current repo's configuration."
            ),
        ] = None,
    ) -> None:
        """Check a configuration file; list every problem with file, line and key (exit 2)."""
        from qdev.config.layers import display_path
        from qdev.config.loader import load_config, validate_file

        loaded = load_config(complete=True) if path is None else validate_file(path)
        checked = loaded.user_file if path is not None and loaded.user_file else loaded.config_file
        if checked is None:
            what = (
                f"{path}: no [tool.qdev] table"
                if path is not None
                else "no qdev.toml or [tool.qdev]"
            )
            typer.echo(f"OK: {what}; built-in defaults apply")
            return
        extra = f" (profile: {display_path(loaded.profile_dir)})" if loaded.profile_dir else ""
        typer.echo(f"OK: {display_path(checked)} is valid{extra}")

    @config_app.command("schema")
    def schema() -> None:
        """Print the JSON Schema of qdev.toml, generated from the models.

        Editors use it for completion and checking; docs/qdev.schema.json holds a copy.
        """
        from qdev.config.schema import schema_text

        typer.echo(schema_text().rstrip("\n"))

    app.add_typer(config_app, name="config")
