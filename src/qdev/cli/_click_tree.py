"""Adjustments made once to the whole click command tree that typer builds from the app.

Done here, over every command, so that a command module added to COMMANDS gets them without
doing anything: the global options work after the command too (`qdev check -v`), help shows
option types in plain words (nothing for a flag, `[text|json]` for a choice, `INTEGER`), and
a bad choice names the allowed values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import typer

GLOBAL_PANEL = "Global options"
# typer's own type names, as click always showed them.
_PLAIN_TYPES = {
    "bool": "",
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "directory": "FOLDER",
    "datetime": "DATE",
}
_GIVEN_CHOICE = re.compile(r"^(?:Value error, )?(?P<given>.+?) is not one of ")


def walk(command: Any) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """Every command of the tree below `command` (itself included), with its words and a
    context like the one it runs in (so its help option is the one it will have)."""
    root_ctx = command.context_class(command, info_name="qdev", **command.context_settings)
    todo: list[tuple[tuple[str, ...], Any, Any]] = [((), command, root_ctx)]
    while todo:
        words, current, ctx = todo.pop(0)
        yield words, current, ctx
        for name, sub in sorted(getattr(current, "commands", {}).items()):
            sub_ctx = sub.context_class(sub, info_name=name, parent=ctx, **sub.context_settings)
            todo.append(((*words, name), sub, sub_ctx))


def add_global_flags(root: Any, flags: list[Any]) -> None:
    """Give every subcommand the root's global flags, unless it has an option of that name."""
    for words, command, _ in walk(root):
        if not words:
            continue
        taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
        command.params.extend(flag for flag in flags if not taken & set(flag.opts))


def global_flags(definition: Callable[..., None], apply: Callable[[str, bool], None]) -> list[Any]:
    """The options of `definition` (a function typer reads) as parameters that every command
    takes and that call `apply(name, value)` instead of reaching the command's function."""
    holder = typer.Typer(add_completion=False)
    holder.command()(definition)
    flags: list[Any] = list(typer.main.get_command(holder).params)
    for flag in flags:
        flag.expose_value = False
        flag.rich_help_panel = GLOBAL_PANEL
        flag.callback = _applier(apply)
    return flags


def _applier(apply: Callable[[str, bool], None]) -> Callable[[Any, Any, Any], Any]:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        if value:
            apply(param.name, bool(value))
        return value

    return callback


def plain_help_types(root: Any) -> None:
    """Show each parameter's type in plain words in help: typer 0.2x shows `<bool>`, `<str>`."""
    for _, command, ctx in walk(root):
        for param in [*command.params, command.get_help_option(ctx)]:
            if callable(getattr(param, "display_type", None)):
                param.display_type_rich = _plain_type(param)


def _plain_type(param: Any) -> Callable[..., str | None]:
    typer_label = param.display_type

    def display_type_rich(ctx: Any) -> str | None:
        if param.metavar is not None:
            return str(param.metavar)
        if getattr(param, "is_flag", False):
            return ""
        label = str(typer_label(ctx)).strip("<>")
        label = label.removeprefix("list[").removesuffix("]")
        if "|" in label:
            return f"[{label}]"
        return _PLAIN_TYPES.get(label, label.upper())

    return display_type_rich


def choices_of(param: Any) -> list[str]:
    """The allowed values of a choice parameter, as the user types them; [] for others."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice or not descriptor.choices:
        return []
    return [str(getattr(choice, "value", choice)) for choice in descriptor.choices]


def plain_bad_value(message: str, param: Any) -> str:
    """A bad-value message in plain words: the allowed values of a choice, no pydantic prefix."""
    choices = choices_of(param)
    if not choices:
        return message.removeprefix("Value error, ")
    given = _GIVEN_CHOICE.match(message)
    value = given.group("given") if given else "this value"
    allowed = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]
    return f"{value} is not allowed; choose {allowed}"
