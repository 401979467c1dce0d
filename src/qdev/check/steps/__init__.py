"""The check steps, discovered by id: every public module of this package is imported, and
its `@register`-ed `Step` subclasses become the built-in steps.

Adding a built-in step is adding one module here, plus its name in
`qdev.config.models.BUILTIN_STEPS` and an options field in `CheckConfig`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from qdev.check.steps._base import REGISTRY, Step, StepContext
from qdev.check.steps.custom import Custom

if TYPE_CHECKING:
    from qdev.config.models import QdevConfig

__all__ = ["REGISTRY", "Step", "StepContext", "all_steps"]


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_discover()


def all_steps(config: QdevConfig) -> dict[str, Step]:
    """Every step the config knows, built-in first (in BUILTIN_STEPS order), by name."""
    from qdev.config.models import BUILTIN_STEPS

    missing = [name for name in BUILTIN_STEPS if name not in REGISTRY]
    if missing:  # a step named in the config models but with no module: a bug in qdev
        raise RuntimeError(f"no step module registers {', '.join(missing)}")
    steps: dict[str, Step] = {name: REGISTRY[name] for name in BUILTIN_STEPS}
    steps.update({name: Custom(name, custom) for name, custom in config.check.custom.items()})
    return steps
