"""The CLI and configuration references are generated from the code and cover all of it."""

from __future__ import annotations

import re

import typer

from qdev.cli.app import COMMANDS, build_app
from qdev.reference import cli_reference, command_names, config_keys, config_reference


def test_every_registered_command_and_subcommand_is_in_the_cli_reference() -> None:
    reference = cli_reference()
    names = command_names()
    assert set(COMMANDS) <= set(names)
    assert {"config show", "config validate", "config schema"} <= set(names)
    for name in names:
        assert re.search(rf"^#+ qdev {re.escape(name)}$", reference, re.MULTILINE), name


def test_every_option_of_every_command_is_in_the_cli_reference() -> None:
    reference = cli_reference()
    root = typer.main.get_command(build_app())
    ctx = root.context_class(root, info_name="qdev")
    pending = [(root, ctx)]
    seen = 0
    while pending:
        command, command_ctx = pending.pop()
        for param in command.get_params(command_ctx):
            for flag in [*param.opts, *param.secondary_opts]:
                if flag.startswith("-"):
                    assert f"{flag}" in reference, f"{command.name}: {flag}"
                    seen += 1
        for name, sub in getattr(command, "commands", {}).items():
            pending.append((sub, sub.context_class(sub, info_name=name, parent=command_ctx)))
    assert seen > 40  # every command's options were walked, not none


def test_the_help_text_is_the_commands_own() -> None:
    reference = cli_reference()
    assert "Diagnose this machine and the repo" in reference
    assert "[tool.qdev]" in reference  # typer's rich escape \\[ undone
    assert "\\[" not in reference


def test_every_configuration_key_is_in_the_config_reference() -> None:
    reference = config_reference()
    keys = config_keys()
    assert {"check.coverage", "release.tag_format", "ci.python", "check.test.args"} <= set(keys)
    for key in keys:
        table, _, name = key.rpartition(".")
        assert f"## [{table}]" in reference or f"# [{table}]" in reference, key
        assert f"| `{name}` |" in reference, key


def test_defaults_come_from_the_models() -> None:
    reference = config_reference()
    assert "| `coverage` | number (≥ 0, ≤ 100) | `80` |" in reference
    steps = '["format", "lint", "typecheck", "test", "audit", "secrets", "lock"]'
    assert f"| `steps` | list of string | `{steps}` |" in reference
    assert "| `run` | list of string | required |" in reference  # a custom step's command
