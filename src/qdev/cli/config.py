"""`qdev config show|validate|schema`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Show, validate and describe qdev's configuration.", no_args_is_help=True)

    @config_app.command("schema")
    def schema() -> None:
        """Print the JSON Schema of qdev.toml, generated from the models."""
        import json

        from qdev.config.models import QdevConfig

        typer.echo(json.dumps(QdevConfig.model_json_schema(), indent=2))

    app.add_typer(config_app, name="config")
