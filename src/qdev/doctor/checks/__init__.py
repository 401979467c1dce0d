"""The diagnoses of `qdev doctor`, discovered by id: every public module of this package is
imported, and its `@register`-ed `Diagnosis` subclasses become the findings.

Adding a diagnosis is adding one small class in one of these modules (or a new module).
"""

from __future__ import annotations

import importlib
import pkgutil

from qdev.doctor.model import REGISTRY, Diagnosis

__all__ = ["REGISTRY", "ordered"]


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_discover()


def ordered() -> list[Diagnosis]:
    """Every diagnosis in the order findings are listed: the machine first, then the repo."""
    return sorted(REGISTRY.values(), key=lambda diagnosis: (diagnosis.rank, diagnosis.id))
