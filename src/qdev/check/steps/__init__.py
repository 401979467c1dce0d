"""The check steps, discovered by id: the built-in ones register themselves on import.

Adding a built-in step is adding one module with a `@register`-ed `Step` subclass and its
name in `qdev.config.models.BUILTIN_STEPS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qdev.check.steps import audit, lock, ruff, secrets, test, typecheck
from qdev.check.steps._base import REGISTRY, Step, StepContext
from qdev.check.steps.custom import Custom

if TYPE_CHECKING:
    from qdev.config.models import QdevConfig

__all__ = ["REGISTRY", "Step", "StepContext", "all_steps"]
_MODULES = (audit, lock, ruff, secrets, test, typecheck)


def all_steps(config: QdevConfig) -> dict[str, Step]:
    """Every step the config knows, built-in first, by name."""
    from qdev.config.models import BUILTIN_STEPS

    steps: dict[str, Step] = {name: REGISTRY[name] for name in BUILTIN_STEPS}
    steps.update({name: Custom(name, custom) for name, custom in config.check.custom.items()})
    return steps
